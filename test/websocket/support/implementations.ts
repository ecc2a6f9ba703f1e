// The implementations the conformance suite judges: an echo server ("target") and an echo client ("client
// under test") for `ws` (the reference, conformant apart from its known deviations) and for pushwire.
// pushwire's module is reached through a structural view and a dynamic import so that this suite type-checks
// and runs (failing loudly) even before packages/websocket exports its server and client.
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';

export type ImplName = 'ws' | 'pushwire';

/** RFC 7692 parameters, named as in the shared API contract (same names as `ws`). */
export interface DeflateParams {
  serverNoContextTakeover?: boolean;
  clientNoContextTakeover?: boolean;
  serverMaxWindowBits?: number;
  clientMaxWindowBits?: number;
  threshold?: number;
}

export interface EchoServerOptions {
  maxPayload?: number;
  perMessageDeflate?: boolean | DeflateParams;
  maxFragments?: number;
  /** Choose `chat` when offered (RFC 6455 4.2.2 /subprotocol/). */
  chat?: boolean;
}

export interface EchoTarget {
  url: string;
  close(): Promise<void>;
}

export interface ClientOptions {
  maxPayload?: number;
  maxFragments?: number;
  perMessageDeflate?: boolean | DeflateParams;
  protocols?: string[];
}

export interface ClientUnderTest {
  /** Resolves with the close code and reason the client reports in its 'close' event. */
  closed: Promise<{ code: number; reason: string }>;
  /** Errors the client emitted (protocol failures are reported here as well as on the wire). */
  errors: Error[];
  /** Resolves on the client's 'open' event (never, if the handshake fails). */
  opened: Promise<void>;
  terminate(): void;
}

export interface Implementation {
  name: ImplName;
  startEchoServer(options?: EchoServerOptions): Promise<EchoTarget>;
  /** Connect an echo client: every message it receives it sends back with the same type. */
  connectEchoClient(url: string, options?: ClientOptions): ClientUnderTest;
}

// ---- ws -------------------------------------------------------------------------------------------------

function wsDeflate(d: boolean | DeflateParams | undefined): boolean | WebSocket.PerMessageDeflateOptions {
  if (d === undefined || typeof d === 'boolean') return d ?? false;
  // ws compresses only messages of at least `threshold` bytes (default 1024); the suite wants every message
  // compressed so that round trips exercise inflate on both sides.
  return { threshold: 0, ...d };
}

export const wsImpl: Implementation = {
  name: 'ws',
  async startEchoServer(options = {}) {
    const wss = new WebSocketServer({
      host: '127.0.0.1',
      port: 0,
      maxPayload: options.maxPayload ?? 64 * 1024 * 1024,
      perMessageDeflate: wsDeflate(options.perMessageDeflate),
      ...(options.maxFragments !== undefined ? { maxFragments: options.maxFragments } : {}),
      ...(options.chat ? { handleProtocols: (p: Set<string>) => (p.has('chat') ? 'chat' : false) } : {}),
    });
    await new Promise<void>((resolve) => wss.once('listening', resolve));
    wss.on('connection', (ws) => {
      ws.on('error', () => {});
      ws.on('message', (data, isBinary) => ws.send(data as Buffer, { binary: isBinary }));
    });
    const { port } = wss.address() as AddressInfo;
    return {
      url: `ws://127.0.0.1:${port}/`,
      close: async () => {
        for (const c of wss.clients) c.terminate();
        await new Promise<void>((resolve) => wss.close(() => resolve()));
      },
    };
  },
  connectEchoClient(url, options = {}) {
    const ws = new WebSocket(url, options.protocols ?? [], {
      maxPayload: options.maxPayload ?? 64 * 1024 * 1024,
      perMessageDeflate: wsDeflate(options.perMessageDeflate),
      ...(options.maxFragments !== undefined ? { maxFragments: options.maxFragments } : {}),
    });
    const errors: Error[] = [];
    ws.on('error', (err) => errors.push(err));
    ws.on('message', (data, isBinary) => ws.send(data as Buffer, { binary: isBinary }));
    const opened = new Promise<void>((resolve) => ws.on('open', () => resolve()));
    const closed = new Promise<{ code: number; reason: string }>((resolve) =>
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    return { closed, opened, errors, terminate: () => ws.terminate() };
  },
};

// ---- pushwire -------------------------------------------------------------------------------------------

/** The part of pushwire's public API (see the shared contract) the suite uses. */
export interface PwEmitter {
  on(event: string, listener: (...args: unknown[]) => void): unknown;
}
export interface PwSocket extends PwEmitter {
  send(data: string | Buffer, cb?: (err?: Error) => void): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
  readonly protocol: string;
  readonly extensions: string;
  readonly readyState: number;
}
export interface PwServer extends PwEmitter {
  address(): AddressInfo | string | null;
  close(): Promise<void>;
  readonly clients: Set<PwSocket>;
}
export interface PwModule {
  WebSocketServer: new (options: Record<string, unknown>) => PwServer;
  WebSocket: new (url: string, protocols?: string[], options?: Record<string, unknown>) => PwSocket;
}

export async function loadPushwire(): Promise<PwModule> {
  const mod = (await import('@pushwire/websocket')) as unknown as Partial<PwModule>;
  if (typeof mod.WebSocketServer !== 'function' || typeof mod.WebSocket !== 'function') {
    throw new Error(
      '@pushwire/websocket does not export WebSocketServer and WebSocket (yet): nothing to test',
    );
  }
  return mod as PwModule;
}

/** Echo one message back with the type it arrived with: text as a string, binary as bytes. */
function pwEcho(ws: PwSocket): void {
  ws.on('message', (...args) => {
    const data = args[0] as Buffer | ArrayBuffer;
    const bytes = Buffer.isBuffer(data) ? data : Buffer.from(data);
    ws.send(args[1] === true ? bytes : bytes.toString('utf8'));
  });
}

export const pushwireImpl: Implementation = {
  name: 'pushwire',
  async startEchoServer(options = {}) {
    const { WebSocketServer: Server } = await loadPushwire();
    const wss = new Server({
      host: '127.0.0.1',
      port: 0,
      maxPayload: options.maxPayload ?? 64 * 1024 * 1024,
      perMessageDeflate: options.perMessageDeflate ?? false,
      ...(options.maxFragments !== undefined ? { maxFragments: options.maxFragments } : {}),
      ...(options.chat ? { handleProtocols: (p: Set<string>) => (p.has('chat') ? 'chat' : false) } : {}),
    });
    await new Promise<void>((resolve, reject) => {
      wss.on('listening', () => resolve());
      wss.on('error', (err) => reject(err as Error));
    });
    wss.on('connection', (...args) => {
      const ws = args[0] as PwSocket;
      ws.on('error', () => {});
      pwEcho(ws);
    });
    const addr = wss.address();
    if (addr === null || typeof addr === 'string') throw new Error('pushwire server has no TCP address');
    return {
      url: `ws://127.0.0.1:${addr.port}/`,
      close: async () => {
        for (const c of wss.clients) c.terminate();
        await wss.close();
      },
    };
  },
  connectEchoClient(url, options = {}) {
    const errors: Error[] = [];
    let socket: PwSocket | undefined;
    let markOpen: () => void = () => {};
    const opened = new Promise<void>((resolve) => {
      markOpen = resolve;
    });
    const closed = loadPushwire().then(
      ({ WebSocket: Client }) =>
        new Promise<{ code: number; reason: string }>((resolve) => {
          const ws = new Client(url, options.protocols ?? [], {
            maxPayload: options.maxPayload ?? 64 * 1024 * 1024,
            perMessageDeflate: options.perMessageDeflate ?? false,
            ...(options.maxFragments !== undefined ? { maxFragments: options.maxFragments } : {}),
          });
          socket = ws;
          ws.on('error', (err) => errors.push(err as Error));
          ws.on('open', () => markOpen());
          pwEcho(ws);
          ws.on('close', (code, reason) => resolve({ code: code as number, reason: String(reason) }));
        }),
    );
    return { closed, opened, errors, terminate: () => socket?.terminate() };
  },
};

/** Both by default; `PW_CONFORMANCE_IMPL=ws` (or `pushwire`) narrows a local run to one of them. */
export const implementations: readonly Implementation[] = [wsImpl, pushwireImpl].filter(
  (impl) => !process.env.PW_CONFORMANCE_IMPL || process.env.PW_CONFORMANCE_IMPL === impl.name,
);
