// `pushwire serve`: a Bayeux 1.0 endpoint (long-polling, callback-polling, websocket) on one HTTP server,
// with `/service/echo` registered (CometD's remoteCall('echo', ...) and Faye's publish to /service/echo
// get their data back).
import { createServer } from 'node:http';
import {
  ackExtension,
  type BayeuxServerOptions,
  bundledClientScript,
  type CorsOptions,
  createBayeuxServer,
  MAX_DELIVERY_WINDOW,
  serveClientScript,
} from '@pushwire/server';
import { channelFlags } from './channel-flags.js';
import { type Command, UsageError } from './command.js';
import { openEngine } from './engine-option.js';
import { untilStopSignal, urlAuthority } from './lifecycle.js';
import { ADDRESS_HELP, DEFAULT_HOST, integerOption, parseOptions, portOption } from './options.js';

const usage = `Usage: pushwire serve [options]

${ADDRESS_HELP}
  --mount PATH         endpoint path (default /bayeux)
  --timeout MS         how long a /meta/connect is held (default 30000)
  --interval MS        advised wait between connects (default 0)
  --max-interval MS    a client silent this long after its last connect reply expires (default 10000)
  --delivery-window MS a woken long poll waits this long for more messages before it is answered
                       (default 5; 0 = at once; at most ${MAX_DELIVERY_WINDOW})
  --cors ORIGIN        allow cross-origin requests from ORIGIN (e.g. https://app.example.com); repeat it
                       for several origins, or give * for any (default: same origin only)
  --max-sessions-per-browser N
                       long polls held at once per browser cookie; the others poll every 2 s
                       (default 1, as browsers need; -1 = unlimited, for several Node clients sharing
                       one cookie jar)
  --history P=SIZE     keep the last SIZE messages of channels matching pattern P, with recovery (repeatable)
  --presence P         track who is subscribed to channels matching pattern P (repeatable)
  --allowed-host NAME  also serve requests whose Host is NAME (.example.com: it and its subdomains);
                       repeat it, or give all. By default a server reached on a loopback address
                       answers only loopback names and IP literals (DNS-rebinding guard)
  --trust-proxy        behind your reverse proxy: client addresses from X-Forwarded-For
  --max-connections N  websockets plus HTTP requests in flight at once (default 10000; 503 above)
  --max-sessions N     live sessions (default 100000)
  --engine E           memory (default), redis://HOST:PORT, or redis-cluster://HOST:PORT,HOST:PORT (some
                       nodes of a Redis Cluster; the rest are discovered): processes on one Redis or
                       Cluster share every session
  --redis-prefix P     key prefix in Redis (default pushwire); servers with the same prefix form one cluster

Clients that ask for the ack extension (ext.ack, CometD AckExtension) get it, on every engine.

Serves the browser client at /pushwire.js and <mount>/client.js.
Prints the endpoint URL (http://HOST:PORT/bayeux) once listening; stops cleanly on SIGINT/SIGTERM.`;

const MAX_MS = 3_600_000;

/** `--allowed-host` values: `all` alone, or host names without scheme, port or path. */
export function allowedHostsOption(values: string[] | undefined): string[] | 'all' | undefined {
  if (values === undefined || values.length === 0) return undefined;
  if (values.includes('all')) {
    if (values.length > 1) throw new UsageError('--allowed-host: all allows every host; give it alone');
    return 'all';
  }
  for (const v of values) {
    if (!/^\.?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*$/.test(v)) {
      throw new UsageError(
        `--allowed-host: expected a host name such as chat.example.com or .example.com (no port), got ${JSON.stringify(v)}`,
      );
    }
  }
  return values;
}

/** `--cors` values: `*` alone, or origins as browsers send them (scheme://host[:port], no path). */
export function corsOption(values: string[] | undefined): CorsOptions | undefined {
  if (values === undefined || values.length === 0) return undefined;
  if (values.includes('*')) {
    if (values.length > 1) throw new UsageError('--cors: * allows every origin; give it alone');
    return { origins: '*' };
  }
  for (const v of values) {
    let origin: string | undefined;
    try {
      origin = new URL(v).origin;
    } catch {
      origin = undefined;
    }
    if (origin !== v) {
      throw new UsageError(
        `--cors: expected an origin such as https://example.com (no path), or *, got ${JSON.stringify(v)}`,
      );
    }
  }
  return { origins: values };
}

export const command: Command = {
  summary: 'Run a Bayeux 1.0 server (long-polling, callback-polling, websocket) with /service/echo.',
  usage,
  async run(args: string[]): Promise<number> {
    const values = parseOptions(args, {
      port: { type: 'string' },
      host: { type: 'string' },
      mount: { type: 'string' },
      timeout: { type: 'string' },
      interval: { type: 'string' },
      'max-interval': { type: 'string' },
      'delivery-window': { type: 'string' },
      cors: { type: 'string', multiple: true },
      'max-sessions-per-browser': { type: 'string' },
      engine: { type: 'string' },
      'redis-prefix': { type: 'string' },
      history: { type: 'string', multiple: true },
      presence: { type: 'string', multiple: true },
      'allowed-host': { type: 'string', multiple: true },
      'trust-proxy': { type: 'boolean' },
      'max-connections': { type: 'string' },
      'max-sessions': { type: 'string' },
    });
    const port = portOption(values.port);
    const timeout = integerOption('timeout', values.timeout, 0, MAX_MS);
    const interval = integerOption('interval', values.interval, 0, MAX_MS);
    const maxInterval = integerOption('max-interval', values['max-interval'], 0, MAX_MS);
    const deliveryWindow = integerOption(
      'delivery-window',
      values['delivery-window'],
      0,
      MAX_DELIVERY_WINDOW,
    );
    const maxSessionsPerBrowser = integerOption(
      'max-sessions-per-browser',
      values['max-sessions-per-browser'],
      -1,
      65535,
    );
    const cors = corsOption(values.cors);
    const allowedHosts = allowedHostsOption(values['allowed-host']);
    const maxConnections = integerOption('max-connections', values['max-connections'], 1, 1_000_000);
    const maxSessions = integerOption('max-sessions', values['max-sessions'], 1, 100_000_000);
    const mount = values.mount ?? '/bayeux';
    if (!mount.startsWith('/'))
      throw new UsageError(`--mount: expected a path starting with /, got ${JSON.stringify(mount)}`);
    const host = values.host ?? DEFAULT_HOST;
    const options: BayeuxServerOptions = { mount };
    if (timeout !== undefined) options.timeout = timeout;
    if (interval !== undefined) options.interval = interval;
    if (maxInterval !== undefined) options.maxInterval = maxInterval;
    if (deliveryWindow !== undefined) options.deliveryWindow = deliveryWindow;
    if (maxSessionsPerBrowser !== undefined) options.maxSessionsPerBrowser = maxSessionsPerBrowser;
    if (cors !== undefined) options.cors = cors;
    if (allowedHosts !== undefined) options.allowedHosts = allowedHosts;
    if (values['trust-proxy'] === true) options.trustProxy = true;
    if (maxConnections !== undefined) options.maxConnections = maxConnections;
    if (maxSessions !== undefined) options.maxSessions = maxSessions;
    // Flags first: a usage error must not leave an engine (a Redis connection) open.
    const channels = channelFlags(values.history, values.presence);
    if (typeof channels === 'string') throw new UsageError(channels);
    if (Object.keys(channels).length > 0) options.channels = channels;
    let choice: Awaited<ReturnType<typeof openEngine>>;
    try {
      choice = await openEngine(values.engine, values['redis-prefix'], maxInterval);
    } catch (err) {
      if (err instanceof UsageError) throw err;
      // Redis unreachable at start: say so and exit 1 (the engine reconnects only once it is running).
      process.stderr.write(`pushwire serve: ${(err as Error).message}\n`);
      return 1;
    }
    if (choice.engine !== undefined) options.engine = choice.engine;
    let bayeux: ReturnType<typeof createBayeuxServer>;
    try {
      bayeux = createBayeuxServer(options);
    } catch (err) {
      await choice.close();
      // A pattern the server refuses (not a channel pattern, /meta/**, /presence/**): bad input, exit 2.
      if (err instanceof TypeError || err instanceof RangeError) throw new UsageError(err.message);
      throw err;
    }
    bayeux.addService('/service/echo', (data) => data);
    bayeux.addExtension(ackExtension());
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
      http.listen(port, host, () => resolve(true));
    });
    if (!listening) {
      await bayeux.close();
      await choice.close();
      return 1;
    }
    const authority = urlAuthority(host, http.address(), port);
    process.stdout.write(`pushwire serve listening on http://${authority}${bayeux.mount}\n`);
    await untilStopSignal();
    // Answer held connects and close sockets first, then stop accepting and drop idle keep-alives.
    await bayeux.close();
    await new Promise<void>((resolve) => {
      http.close(() => resolve());
      http.closeIdleConnections();
    });
    await choice.close();
    return 0;
  },
};

export default command;
