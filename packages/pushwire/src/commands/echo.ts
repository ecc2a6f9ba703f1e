// `pushwire echo`: a WebSocket echo server on @pushwire/websocket. Text comes back as text and binary as
// binary, byte for byte; any path; permessage-deflate accepted when the client offers it.
import { parseArgs } from 'node:util';
import { type WebSocket, WebSocketServer } from '@pushwire/websocket';
import type { Command } from '../cli.js';
import { untilStopSignal, urlAuthority } from './lifecycle.js';

const usage = `Usage: pushwire echo [--port N] [--host H] [--max-payload BYTES] [--max-fragments N]

  --port N             port to listen on (default 8080; 0 picks a free port)
  --host H             address to bind (default 0.0.0.0)
  --max-payload BYTES  largest message accepted (default 16777216: the largest Autobahn 9.x message)
  --max-fragments N    most frames in one message (default 100000)

Prints the server URL (ws://HOST:PORT/) once listening; stops on SIGINT/SIGTERM, closing clients with 1001.`;

// An echo server is a test peer: it takes the largest message the Autobahn TestSuite sends (9.1.6, 16 MiB).
// The library default stays 1 MiB; this bound still caps what one connection can make us hold.
const DEFAULT_MAX_PAYLOAD = 16 * 1024 * 1024;

/**
 * Echoes every message of `ws` back. A client that sends and never reads would otherwise grow the
 * server's send buffer without bound: once bufferedAmount passes `maxBuffered` the connection stops
 * reading (TCP pushes back on the client) until everything is written ('drain'). Messages already read
 * when it pauses are still echoed, so the buffer can pass the bound by one message plus one socket read.
 */
export function echoConnection(ws: WebSocket, maxBuffered: number): void {
  ws.on('message', (data, isBinary) => {
    // Text is re-sent as text: toString() of a message already validated as UTF-8 is lossless.
    ws.send(isBinary ? (data as Buffer) : (data as Buffer).toString('utf8'));
    if (ws.bufferedAmount > maxBuffered && !ws.isPaused) {
      ws.pause();
      ws.once('drain', () => ws.resume());
    }
  });
}

function parsePort(value: string | undefined, fallback: number): number | null {
  if (value === undefined) return fallback;
  const n = Number(value);
  return Number.isInteger(n) && n >= 0 && n <= 65535 ? n : null;
}

export const command: Command = {
  summary: 'Run a WebSocket echo server (text and binary echoed as received).',
  usage,
  async run(args: string[]): Promise<number> {
    let values: { port?: string; host?: string; 'max-payload'?: string; 'max-fragments'?: string };
    try {
      ({ values } = parseArgs({
        args,
        options: {
          port: { type: 'string' },
          host: { type: 'string' },
          'max-payload': { type: 'string' },
          'max-fragments': { type: 'string' },
        },
        strict: true,
      }));
    } catch (err) {
      process.stderr.write(`pushwire echo: ${(err as Error).message}\n\n${usage}\n`);
      return 2;
    }
    const port = parsePort(values.port, 8080);
    const maxPayload = positiveInt(values['max-payload'], DEFAULT_MAX_PAYLOAD);
    const maxFragments = positiveInt(values['max-fragments'], undefined);
    if (port === null || maxPayload === null || maxFragments === null) {
      process.stderr.write(`pushwire echo: invalid --port, --max-payload or --max-fragments\n\n${usage}\n`);
      return 2;
    }
    const host = values.host ?? '0.0.0.0';
    const wss = new WebSocketServer({ port, host, maxPayload, maxFragments, perMessageDeflate: true });
    // Four largest messages of unread replies per connection, then it stops reading.
    const maxBuffered = 4 * maxPayload;
    wss.on('connection', (ws) => echoConnection(ws, maxBuffered));
    const listening = await new Promise<boolean>((resolve) => {
      wss.once('listening', () => resolve(true));
      wss.once('error', (err) => {
        process.stderr.write(`pushwire echo: ${err.message}\n`);
        resolve(false);
      });
    });
    if (!listening) return 1;
    const authority = urlAuthority(host, wss.address(), port ?? 0);
    process.stdout.write(`pushwire echo listening on ws://${authority}/\n`);
    await untilStopSignal();
    await wss.close();
    return 0;
  },
};

export default command;

/** A positive integer option: the fallback when absent, null when malformed. */
function positiveInt<T extends number | undefined>(text: string | undefined, fallback: T): number | T | null {
  if (text === undefined) return fallback;
  const n = Number(text);
  return Number.isInteger(n) && n > 0 ? n : null;
}
