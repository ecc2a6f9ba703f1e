// `pushwire serve`: a Bayeux 1.0 endpoint (long-polling, callback-polling, websocket) on one HTTP server,
// with `/service/echo` registered (CometD's remoteCall('echo', ...) and Faye's publish to /service/echo
// get their data back).
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { bundledClientScript, createBayeuxServer, serveClientScript } from '@pushwire/server';
import type { Command } from '../cli.js';
import { untilStopSignal, urlAuthority } from './lifecycle.js';

const usage = `Usage: pushwire serve [--port N] [--host H] [--mount PATH] [--timeout MS] [--interval MS] [--max-interval MS]

  --port N            port to listen on (default 8000; 0 picks a free port)
  --host H            address to bind (default 127.0.0.1)
  --mount PATH        endpoint path (default /bayeux)
  --timeout MS        how long a /meta/connect is held (default 30000)
  --interval MS       advised wait between connects (default 0)
  --max-interval MS   a client silent this long after its last connect reply expires (default 10000)

Prints the endpoint URL (http://HOST:PORT/bayeux) once listening; stops cleanly on SIGINT/SIGTERM.`;

function integer(value: string | undefined, min: number, max: number): number | undefined | null {
  if (value === undefined) return undefined;
  const n = Number(value);
  return Number.isInteger(n) && n >= min && n <= max ? n : null;
}

export const command: Command = {
  summary: 'Run a Bayeux 1.0 server (long-polling, callback-polling, websocket) with /service/echo.',
  usage,
  async run(args: string[]): Promise<number> {
    let values: Record<string, string | undefined>;
    try {
      ({ values } = parseArgs({
        args,
        options: {
          port: { type: 'string' },
          host: { type: 'string' },
          mount: { type: 'string' },
          timeout: { type: 'string' },
          interval: { type: 'string' },
          'max-interval': { type: 'string' },
        },
        strict: true,
      }));
    } catch (err) {
      process.stderr.write(`pushwire serve: ${(err as Error).message}\n\n${usage}\n`);
      return 2;
    }
    const port = integer(values.port, 0, 65535);
    const timeout = integer(values.timeout, 0, 3_600_000);
    const interval = integer(values.interval, 0, 3_600_000);
    const maxInterval = integer(values['max-interval'], 0, 3_600_000);
    const mount = values.mount ?? '/bayeux';
    if (
      port === null ||
      timeout === null ||
      interval === null ||
      maxInterval === null ||
      !mount.startsWith('/')
    ) {
      process.stderr.write(`pushwire serve: invalid option value\n\n${usage}\n`);
      return 2;
    }
    const host = values.host ?? '127.0.0.1';
    const bayeux = createBayeuxServer({ mount, timeout, interval, maxInterval });
    bayeux.addService('/service/echo', (data) => data);
    const http = createServer();
    // The browser client at /pushwire.js as well as <mount>/client.js; attach() leaves other paths to this.
    http.on('request', (req, res) => {
      if ((req.url ?? '').split('?')[0] === '/pushwire.js') {
        void serveClientScript(req, res, bundledClientScript);
        return;
      }
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('not found\n');
    });
    bayeux.attach(http);
    const listening = await new Promise<boolean>((resolve) => {
      http.once('error', (err) => {
        process.stderr.write(`pushwire serve: ${err.message}\n`);
        resolve(false);
      });
      http.listen(port ?? 8000, host, () => resolve(true));
    });
    if (!listening) {
      await bayeux.close();
      return 1;
    }
    const authority = urlAuthority(host, http.address(), port ?? 0);
    process.stdout.write(`pushwire serve listening on http://${authority}${bayeux.mount}\n`);
    await untilStopSignal();
    // Answer held connects and close sockets first, then stop accepting and drop idle keep-alives.
    await bayeux.close();
    await new Promise<void>((resolve) => {
      http.close(() => resolve());
      http.closeIdleConnections();
    });
    return 0;
  },
};

export default command;
