// Issue 7, "a client that says what is wrong": against a closed port, an HTTP server answering 404/500,
// a websocket endpoint that refuses the upgrade, and a security policy that denies the handshake, the
// client emits states a user can show (connecting, reconnecting with attempt and delay, connected,
// disconnected) and an `error` with the cause as a ClientError with a stable code; and subscribe /
// publish / remoteCall / connect reject after `sessionTimeout` with CLIENT_NO_SESSION naming that cause.
// Real sockets throughout; fake timers (setTimeout and Date only, so socket I/O stays real) for deadlines.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  Client,
  ClientError,
  type ClientEvents,
  type ClientOptions,
  type ReconnectingInfo,
  ServerRefusal,
} from '../src/index.js';
import { fetchText } from '../src/transports/http.js';
import { type OurServer, startOurs } from './helpers.js';

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** An HTTP server that answers every request with `status`, and refuses every websocket upgrade. */
async function answering(status: number): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((_req, res) =>
    res.writeHead(status, { 'content-type': 'text/plain' }).end('no'),
  );
  server.on('upgrade', (_req, socket: Duplex) => {
    socket.end(`HTTP/1.1 ${status} Refused\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/bayeux`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Records every status event, in order, as `[event, ...args]`. */
function record(client: Client): unknown[][] {
  const seen: unknown[][] = [];
  const events: (keyof ClientEvents)[] = [
    'state',
    'connecting',
    'connected',
    'reconnecting',
    'disconnected',
    'error',
  ];
  for (const event of events) client.on(event, (...args: unknown[]) => seen.push([event, ...args]));
  return seen;
}

function next<K extends keyof ClientEvents>(client: Client, event: K): Promise<ClientEvents[K]> {
  return new Promise((resolve) => client.once(event, ((...args: ClientEvents[K]) => resolve(args)) as never));
}

/** Tracks whether a promise has settled, without awaiting it. */
function track<T>(promise: PromiseLike<T>): { settled: boolean; result: Promise<unknown> } {
  const state = {
    settled: false,
    result: Promise.resolve(promise).then(
      (v) => {
        state.settled = true;
        return v;
      },
      (err: unknown) => {
        state.settled = true;
        return err;
      },
    ),
  };
  return state;
}

const NO_JITTER: ClientOptions = { backoffIncrement: 1000, backoffJitter: 0 };

describe('a client that says what is wrong', () => {
  let client: Client | undefined;
  let server: OurServer | undefined;
  let other: { close(): Promise<void> } | undefined;
  afterEach(async () => {
    vi.useRealTimers();
    await client?.disconnect();
    await server?.close();
    await other?.close();
    client = server = other = undefined;
  });

  it('server down (connection refused): connecting, error and reconnecting with attempt, delay and cause', async () => {
    const port = await closedPort();
    client = new Client(`http://127.0.0.1:${port}/bayeux`, {
      transports: ['long-polling'],
      backoffIncrement: 50,
      backoffJitter: 0,
    });
    const seen = record(client);
    const reconnecting = next(client, 'reconnecting');
    void client.connect().catch(() => undefined);
    expect(client.state).toBe('connecting');
    const [info] = await reconnecting;
    expect(info).toMatchObject({ attempt: 1, delayMs: 50 });
    expect(info.cause).toBeInstanceOf(ClientError);
    expect(info.cause.code).toBe('CLIENT_CONNECTION_REFUSED');
    expect(info.cause.message).toBe(
      `connection to 127.0.0.1:${port} refused: nothing listens there (server down, or wrong host or port)`,
    );
    expect(seen).toEqual([
      ['state', 'connecting', 'disconnected'],
      ['connecting', { attempt: 0, transport: 'long-polling' }],
      ['error', info.cause],
      ['state', 'reconnecting', 'connecting'],
      ['reconnecting', info],
    ]);
    // The next attempt says it is the second one, and its failure counts as attempt 2 with a longer delay.
    const [second] = await next(client, 'reconnecting');
    expect(second).toMatchObject({ attempt: 2, delayMs: 100, cause: { code: 'CLIENT_CONNECTION_REFUSED' } });
    expect(seen).toContainEqual(['connecting', { attempt: 1, transport: 'long-polling' }]);
  });

  it('default transports against a closed port: websocket fails, the client says so and switches to long-polling', async () => {
    const port = await closedPort();
    client = new Client(`http://127.0.0.1:${port}/bayeux`, NO_JITTER);
    const errors: ClientError[] = [];
    client.on('error', (err) => errors.push(err as ClientError));
    const [info] = await (async () => {
      void client.connect().catch(() => undefined);
      return next(client, 'reconnecting');
    })();
    expect(errors[0]?.code).toBe('CLIENT_WEBSOCKET');
    expect(errors[0]?.message).toMatch(
      /^websocket to ws:\/\/127\.0\.0\.1:\d+\/bayeux failed to open .*ECONNREFUSED.*; switching to long-polling$/,
    );
    expect(info.cause.code).toBe('CLIENT_CONNECTION_REFUSED');
    expect(client.transport).toBe('long-polling');
  });

  it.each([404, 500])('HTTP %i: CLIENT_HTTP_STATUS with the status', async (status) => {
    const site = await answering(status);
    other = site;
    client = new Client(site.url, { transports: ['long-polling'], ...NO_JITTER });
    const reconnecting = next(client, 'reconnecting');
    void client.connect().catch(() => undefined);
    const [info] = await reconnecting;
    expect(info.cause).toMatchObject({ code: 'CLIENT_HTTP_STATUS', status });
    expect(info.cause.message).toContain(`HTTP ${status}`);
    if (status === 404) expect(info.cause.message).toContain('check the URL');
  });

  it('websocket refused at the upgrade: CLIENT_WEBSOCKET saying what the server answered', async () => {
    const site = await answering(403);
    other = site;
    client = new Client(site.url, { transports: ['websocket'], ...NO_JITTER });
    const reconnecting = next(client, 'reconnecting');
    void client.connect().catch(() => undefined);
    const [info] = await reconnecting;
    expect(info.cause.code).toBe('CLIENT_WEBSOCKET');
    expect(info.cause.message).toContain('403');
  });

  it('handshake denied by a security policy: CLIENT_HANDSHAKE_DENIED with the Bayeux error, then disconnected', async () => {
    server = await startOurs({ securityPolicy: { canHandshake: () => false } });
    client = new Client(server.url, { transports: ['long-polling'] });
    const seen = record(client);
    const sub = client.subscribe('/x', () => undefined);
    const error = (await sub.then(
      () => null,
      (err: unknown) => err,
    )) as ClientError;
    expect(error).toBeInstanceOf(ClientError);
    expect(error.code).toBe('CLIENT_HANDSHAKE_DENIED');
    expect(error.message).toBe(`handshake denied by ${server.url}: 403::handshake_denied`);
    expect(error.cause).toBeInstanceOf(ServerRefusal);
    expect((error.cause as ServerRefusal).code).toBe(403);
    expect(seen).toEqual([
      ['state', 'connecting', 'disconnected'],
      ['connecting', { attempt: 0, transport: 'long-polling' }],
      ['error', error],
      ['state', 'disconnected', 'connecting'],
      ['disconnected', { cause: error }],
    ]);
    await expect(client.publish('/x', 1)).rejects.toMatchObject({ code: 'CLIENT_HANDSHAKE_DENIED' });
  });

  it('states over a working session: connecting, connected, then reconnecting after a cut, then connected again', async () => {
    server = await startOurs();
    client = new Client(server.url, { transports: ['long-polling'], backoffIncrement: 20, backoffJitter: 0 });
    const seen = record(client);
    await client.connect();
    const clientId = client.clientId;
    expect(seen).toEqual([
      ['state', 'connecting', 'disconnected'],
      ['connecting', { attempt: 0, transport: 'long-polling' }],
      ['state', 'connected', 'connecting'],
      ['connected', { transport: 'long-polling', clientId }],
    ]);
    seen.length = 0;
    const again = next(client, 'connected');
    server.cut();
    await again;
    const kinds = seen
      .filter(([e]) => e !== 'state' && e !== 'error')
      .map(([e, info]) => [e, (info as ReconnectingInfo).attempt]);
    expect(kinds[0]).toEqual(['reconnecting', 1]);
    expect(kinds[1]).toEqual(['connecting', 1]);
    expect(kinds.at(-1)?.[0]).toBe('connected');
    seen.length = 0;
    await client.disconnect();
    expect(seen).toEqual([
      ['state', 'disconnected', 'connected'],
      ['disconnected', { cause: null }],
    ]);
    client = undefined;
  });
  it('server restarted: refused while down, then session lost (402) on the new server, then connected', async () => {
    server = await startOurs();
    const port = server.port;
    client = new Client(server.url, { transports: ['long-polling'], backoffIncrement: 20, maxBackoff: 100 });
    await client.connect();
    const causes: string[] = [];
    client.on('reconnecting', ({ cause }) => causes.push(cause.code));
    const handshakes: boolean[] = [];
    client.on('handshake', (_reply, reestablished) => handshakes.push(reestablished));
    await server.close();
    server = undefined;
    await next(client, 'reconnecting');
    server = await startOurs({ port });
    await next(client, 'connected');
    expect(causes[0]).toMatch(/^CLIENT_(CONNECTION_REFUSED|NETWORK)$/);
    expect(causes.at(-1)).toBe('CLIENT_SESSION_LOST');
    expect(handshakes).toEqual([true]);
  });
});

describe('sessionTimeout: operations without a session reject with CLIENT_NO_SESSION', () => {
  let client: Client | undefined;
  afterEach(async () => {
    await client?.disconnect();
    vi.useRealTimers();
    client = undefined;
  });

  it('subscribe, publish, remoteCall and connect reject at sessionTimeout, not one ms earlier, naming the cause', async () => {
    const port = await closedPort();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    client = new Client(`http://127.0.0.1:${port}/bayeux`, {
      transports: ['long-polling'],
      sessionTimeout: 5000,
      ...NO_JITTER,
    });
    const firstFailure = next(client, 'reconnecting');
    const ops = [
      track(client.subscribe('/x', () => undefined)),
      track(client.publish('/x', 1)),
      track(client.remoteCall('/service/echo', 1, { timeout: 60_000 })),
      track(client.connect()),
    ];
    await firstFailure;
    await vi.advanceTimersByTimeAsync(4999);
    expect(ops.map((op) => op.settled)).toEqual([false, false, false, false]);
    await vi.advanceTimersByTimeAsync(1);
    for (const op of ops) {
      const error = (await op.result) as ClientError;
      expect(error).toBeInstanceOf(ClientError);
      expect(error.code).toBe('CLIENT_NO_SESSION');
      expect(error.message).toMatch(
        new RegExp(
          `^no session with http://127\\.0\\.0\\.1:${port}/bayeux within 5000 ms \\(sessionTimeout\\): connection to 127\\.0\\.0\\.1:${port} refused`,
        ),
      );
      expect((error.cause as ClientError).code).toBe('CLIENT_CONNECTION_REFUSED');
    }
    // The client itself keeps trying (existing backoff behaviour), it only stops making callers wait.
    expect(client.state).not.toBe('disconnected');
  });

  it('the default deadline is 10 s', async () => {
    const port = await closedPort();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    client = new Client(`http://127.0.0.1:${port}/bayeux`, { transports: ['long-polling'], ...NO_JITTER });
    const failed = next(client, 'reconnecting');
    const op = track(client.publish('/x', 1));
    await failed;
    await vi.advanceTimersByTimeAsync(9999);
    expect(op.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await op.result).toMatchObject({ code: 'CLIENT_NO_SESSION' });
  });

  it('a client not told to connect says so', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    client = new Client('http://127.0.0.1:9/bayeux', { autoConnect: false, sessionTimeout: 100 });
    const op = track(client.publish('/x', 1));
    await vi.advanceTimersByTimeAsync(100);
    const error = (await op.result) as ClientError;
    expect(error.code).toBe('CLIENT_NO_SESSION');
    expect(error.message).toContain('the client is not connecting (call connect())');
    expect(error.cause).toBeUndefined();
  });

  it('operations that got a session in time are not failed by the deadline', async () => {
    const server = await startOurs();
    try {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
      client = new Client(server.url, { transports: ['long-polling'], sessionTimeout: 1000 });
      const sub = client.subscribe('/x', () => undefined);
      await sub;
      const ack = await client.publish('/x', 1);
      expect(ack.successful).toBe(true);
      await vi.advanceTimersByTimeAsync(1500);
      // Still subscribed: the deadline did not fire on an operation that had gone out.
      expect(client.state).toBe('connected');
      expect(await server.bayeux.publish('/x', 2)).toBe(1);
    } finally {
      vi.useRealTimers();
      await client?.disconnect();
      client = undefined;
      await server.close();
    }
  });
});

describe('how a failed fetch is classified (fetchText)', () => {
  const failing = (err: unknown) =>
    (async () => {
      throw err;
    }) as unknown as typeof fetch;
  const classify = (url: string, err: unknown) =>
    fetchText(failing(err), url, {}, 1000, new Set(), null).then(
      (): ClientError => {
        throw new Error('expected a failure');
      },
      (e: unknown) => e as ClientError,
    );
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('an unknown host (wrong URL) is CLIENT_NETWORK saying the name does not resolve', async () => {
    const err = new TypeError('fetch failed', {
      cause: Object.assign(new Error('x'), { code: 'ENOTFOUND' }),
    });
    const error = await classify('http://no-such-host.invalid/bayeux', err);
    expect(error).toMatchObject({ code: 'CLIENT_NETWORK', unsent: false });
    expect(error.message).toBe('cannot resolve no-such-host.invalid (ENOTFOUND)');
  });

  it('in a page, a bare TypeError for another origin is CLIENT_CORS; for the same origin CLIENT_NETWORK', async () => {
    vi.stubGlobal('document', {});
    vi.stubGlobal('location', { origin: 'http://page.test', href: 'http://page.test/app/' });
    const cross = await classify('http://push.test/bayeux', new TypeError('Failed to fetch'));
    expect(cross.code).toBe('CLIENT_CORS');
    expect(cross.message).toContain('from origin http://page.test to http://push.test/bayeux');
    const same = await classify('/bayeux', new TypeError('Failed to fetch'));
    expect(same.code).toBe('CLIENT_NETWORK');
    expect(same.message).toBe('request to /bayeux failed: Failed to fetch');
  });

  it('outside a page (Node), the same TypeError is never called CORS', async () => {
    const error = await classify('http://push.test/bayeux', new TypeError('fetch failed'));
    expect(error.code).toBe('CLIENT_NETWORK');
  });
});
