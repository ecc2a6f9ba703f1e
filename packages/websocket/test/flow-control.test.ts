// Flow control (flow-control.ts) over in-memory sockets, with fake timers: the connection stops reading its
// peer once its unread output passes maxBufferedAmount (crossed by one byte), answers only the latest ping
// meanwhile (RFC 6455 5.5.3), fails with 1008 when the output stays above the bound for
// backpressureTimeout, and fails with 1008 a message not completed within fragmentTimeout.
import { Duplex } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { WebSocketError } from '../src/errors.js';
import { encodeFrame, OPCODE } from '../src/frame.js';
import { type LimitOptions, resolveLimits } from '../src/options.js';
import { PreparedFrame } from '../src/prepared-frame.js';
import { Receiver } from '../src/receiver.js';
import { WebSocket } from '../src/websocket.js';
import { collect, duplexPair } from './helpers.js';

const KEY = Buffer.from('01020304', 'hex');
const fromClient = (opcode: number, payload: string | Buffer, fin = true) =>
  encodeFrame(opcode, payload, { mask: true, maskKey: KEY, fin });

/**
 * A socket whose peer does not read: writes are held (their callbacks wait) until release(), so they
 * count in writableLength, as they would in a real socket's buffer once the kernel's is full.
 */
class StuckSocket extends Duplex {
  written: Buffer[] = [];
  private held: Array<() => void> = [];
  constructor() {
    super({ allowHalfOpen: true });
  }
  override _read(): void {}
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.written.push(Buffer.from(chunk));
    this.held.push(() => cb());
  }
  /** The peer reads everything: every held write completes, and those queued behind them. */
  release(): void {
    while (this.held.length > 0) this.held.shift()!();
  }
}

function attach(socket: Duplex, limits: LimitOptions) {
  const ws = new WebSocket(null);
  ws._attach(socket, Buffer.alloc(0), { isServer: true, limits: resolveLimits(limits), deflate: null });
  const errors: string[] = [];
  ws.on('error', (e) => errors.push((e as WebSocketError).code));
  const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
  return { ws, errors, closed };
}

/** The frames in what the connection wrote (unmasked, server side). */
function frames(bytes: Buffer): Array<[number, string]> {
  const out: Array<[number, string]> = [];
  const receiver = new Receiver(
    {
      onMessage: (d, b) => out.push([b ? OPCODE.BINARY : OPCODE.TEXT, d.toString()]),
      onPing: (d) => out.push([OPCODE.PING, d.toString()]),
      onPong: (d) => out.push([OPCODE.PONG, d.toString()]),
      onClose: (code, reason) => out.push([OPCODE.CLOSE, `${code} ${reason.toString()}`]),
      onError: (err) => {
        throw err;
      },
    },
    false,
    { maxPayload: 1 << 24, maxFragments: 10, maxBufferedChunks: 1000 },
  );
  receiver.write(bytes);
  return out;
}

const turn = () => new Promise((r) => setImmediate(r));

afterEach(() => {
  vi.useRealTimers();
});

describe('backpressure: maxBufferedAmount', () => {
  it('keeps reading at exactly the bound and stops one byte above it', () => {
    const socket = new StuckSocket();
    // A 100-byte binary message is a 102-byte frame.
    const { ws } = attach(socket, { maxBufferedAmount: 204 });
    ws.send(Buffer.alloc(100));
    ws.send(Buffer.alloc(100));
    expect(ws.bufferedAmount).toBe(204);
    expect(ws.isPaused).toBe(false);
    expect(socket.isPaused()).toBe(false);
    ws.send(Buffer.alloc(0)); // a 2-byte frame: 206 > 204
    expect(ws.bufferedAmount).toBe(206);
    expect(ws.isPaused).toBe(true);
    ws.terminate();
  });

  it('counts frames prepared once for many connections (sendPrepared, fan-out) and broadcast frames', () => {
    const socket = new StuckSocket();
    const { ws } = attach(socket, { maxBufferedAmount: 102 });
    ws.sendPrepared(new PreparedFrame(Buffer.alloc(100), true)); // a 102-byte frame: at the bound
    expect(ws.isPaused).toBe(false);
    ws._sendShared(Buffer.from([0x82, 0x00]), 0); // 2 more bytes
    expect(ws.isPaused).toBe(true);
    ws.terminate();
  });

  it('resumes once the output drains, unless the user paused; resume() waits for the drain', async () => {
    const socket = new StuckSocket();
    const { ws } = attach(socket, { maxBufferedAmount: 10 });
    ws.send(Buffer.alloc(20));
    expect(ws.isPaused).toBe(true);
    ws.resume(); // the user's resume does not override backpressure
    expect(ws.isPaused).toBe(true);
    await turn(); // this tick's frames reach the socket
    socket.release();
    await turn();
    expect(ws.bufferedAmount).toBe(0);
    expect(ws.isPaused).toBe(false);

    ws.pause();
    ws.send(Buffer.alloc(20));
    await turn();
    socket.release();
    await turn();
    expect(ws.bufferedAmount).toBe(0);
    expect(ws.isPaused).toBe(true); // the user's pause holds after the drain
    ws.resume();
    expect(ws.isPaused).toBe(false);
    ws.terminate();
  });

  it('answers pings while under the bound; above it, only the latest one, once the output drains', async () => {
    const socket = new StuckSocket();
    const { ws } = attach(socket, { maxBufferedAmount: 8 });
    // One read: 'a1' -> a 4-byte pong (under the bound), 'b22' -> 5 more bytes: 9 > 8, reading stops. The
    // rest of the read is still parsed; RFC 6455 5.5.3 lets us answer only the latest ping, 'dddd'.
    socket.push(
      Buffer.concat([
        fromClient(OPCODE.PING, 'a1'),
        fromClient(OPCODE.PING, 'b22'),
        fromClient(OPCODE.PING, 'c'),
        fromClient(OPCODE.PING, 'dddd'),
      ]),
    );
    await turn();
    expect(ws.bufferedAmount).toBe(9);
    expect(ws.isPaused).toBe(true);
    socket.release();
    await turn();
    socket.release();
    await turn();
    expect(frames(Buffer.concat(socket.written))).toEqual([
      [OPCODE.PONG, 'a1'],
      [OPCODE.PONG, 'b22'],
      [OPCODE.PONG, 'dddd'],
    ]);
    expect(ws.isPaused).toBe(false);
    ws.terminate();
  });

  it('fails with 1008 once the output stayed above the bound for backpressureTimeout, not 1 ms before', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const socket = new StuckSocket();
    const { ws, errors, closed } = attach(socket, {
      maxBufferedAmount: 10,
      backpressureTimeout: 1000,
      closeTimeout: 500,
    });
    // What the connection hands the socket (the stuck peer never completes the first write, so later
    // ones wait inside the stream and never reach socket.written).
    const queued: Buffer[] = [];
    const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
    socket.write = ((chunk: Buffer, ...rest: unknown[]) => {
      if (chunk.length > 0) queued.push(Buffer.from(chunk));
      return write(chunk, ...rest);
    }) as typeof socket.write;
    ws.send(Buffer.alloc(20));
    vi.advanceTimersByTime(999);
    expect(ws.readyState).toBe(WebSocket.OPEN);
    vi.advanceTimersByTime(1);
    expect(ws.readyState).toBe(WebSocket.CLOSING);
    expect(errors).toEqual(['WS_ERR_BACKPRESSURE_TIMEOUT']);
    // The close frame waits behind what the peer does not read; closeTimeout then destroys the socket.
    vi.advanceTimersByTime(500);
    expect(errors).toEqual(['WS_ERR_BACKPRESSURE_TIMEOUT', 'WS_ERR_CLOSE_TIMEOUT']);
    vi.useRealTimers();
    expect(await closed).toBe(1008);
    const close = frames(Buffer.concat(queued)).at(-1);
    expect(close?.[0]).toBe(OPCODE.CLOSE);
    expect(close?.[1]).toMatch(/^1008 the peer left over 10 bytes unread for 1000 ms/);
  });

  it('does not fail a connection whose output went back under the bound before the deadline', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const socket = new StuckSocket();
    const { ws, errors } = attach(socket, { maxBufferedAmount: 10, backpressureTimeout: 1000 });
    ws.send(Buffer.alloc(20));
    vi.advanceTimersByTime(999);
    await turn(); // the sender's flush
    socket.release();
    await turn();
    vi.advanceTimersByTime(5000);
    expect(ws.readyState).toBe(WebSocket.OPEN);
    expect(errors).toEqual([]);
    expect(ws.isPaused).toBe(false);
    ws.terminate();
  });
});

describe('fragmentTimeout', () => {
  function pair(limits: LimitOptions) {
    const [local, remote] = duplexPair();
    const wire = collect(remote);
    return { ...attach(local, limits), remote, wire };
  }

  it('fails with 1008 a fragmented message not completed within fragmentTimeout, not 1 ms before', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const p = pair({ fragmentTimeout: 2000 });
    p.remote.write(fromClient(OPCODE.TEXT, 'par', false));
    await turn();
    vi.advanceTimersByTime(1999);
    expect(p.ws.readyState).toBe(WebSocket.OPEN);
    vi.advanceTimersByTime(1);
    expect(p.errors).toEqual(['WS_ERR_FRAGMENT_TIMEOUT']);
    vi.useRealTimers();
    await p.wire.ended;
    const [close] = frames(p.wire.bytes());
    expect(close?.[0]).toBe(OPCODE.CLOSE);
    expect(close?.[1]).toMatch(/^1008 a message was not completed within fragmentTimeout/);
  });

  it('a message completed 1 ms before the deadline is delivered; the next one has a fresh deadline', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const p = pair({ fragmentTimeout: 2000 });
    const got: string[] = [];
    p.ws.on('message', (d) => got.push(d.toString()));
    p.remote.write(fromClient(OPCODE.TEXT, 'par', false));
    await turn();
    vi.advanceTimersByTime(1999);
    p.remote.write(fromClient(OPCODE.CONTINUATION, 'tial'));
    await turn();
    expect(got).toEqual(['partial']);
    p.remote.write(fromClient(OPCODE.BINARY, 'x', false));
    await turn();
    vi.advanceTimersByTime(1999);
    expect(p.ws.readyState).toBe(WebSocket.OPEN);
    expect(p.errors).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(p.errors).toEqual(['WS_ERR_FRAGMENT_TIMEOUT']);
  });

  it('also bounds one frame whose payload trickles in over several reads', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const p = pair({ fragmentTimeout: 2000 });
    const frame = fromClient(OPCODE.TEXT, 'abcdef');
    p.remote.write(frame.subarray(0, 8));
    await turn();
    vi.advanceTimersByTime(2000);
    expect(p.errors).toEqual(['WS_ERR_FRAGMENT_TIMEOUT']);
  });
});
