// `pushwire echo`: a WebSocket echo server on @pushwire/websocket. Text comes back as text and binary as
// binary, byte for byte; any path; permessage-deflate accepted when the client offers it.
import { type WebSocket, WebSocketServer } from '@pushwire/websocket';
import type { Command } from './command.js';
import { untilStopSignal, urlAuthority } from './lifecycle.js';
import { ADDRESS_HELP, DEFAULT_HOST, integerOption, parseOptions, portOption } from './options.js';

const usage = `Usage: pushwire echo [--port N] [--host H] [--max-payload BYTES] [--max-fragments N]

${ADDRESS_HELP}
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

export const command: Command = {
  summary: 'Run a WebSocket echo server (text and binary echoed as received).',
  usage,
  async run(args: string[]): Promise<number> {
    const values = parseOptions(args, {
      port: { type: 'string' },
      host: { type: 'string' },
      'max-payload': { type: 'string' },
      'max-fragments': { type: 'string' },
    });
    const port = portOption(values.port);
    const maxPayload = integerOption(
      'max-payload',
      values['max-payload'],
      1,
      2 ** 31 - 1,
      DEFAULT_MAX_PAYLOAD,
    );
    const maxFragments = integerOption('max-fragments', values['max-fragments'], 1, 2 ** 31 - 1);
    const host = values.host ?? DEFAULT_HOST;
    const wss = new WebSocketServer({
      port,
      host,
      maxPayload,
      perMessageDeflate: true,
      ...(maxFragments === undefined ? {} : { maxFragments }),
    });
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
    const authority = urlAuthority(host, wss.address(), port);
    process.stdout.write(`pushwire echo listening on ws://${authority}/\n`);
    await untilStopSignal();
    await wss.close();
    return 0;
  },
};

export default command;
