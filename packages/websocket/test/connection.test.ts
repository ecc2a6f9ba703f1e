// The connection state machine over an in-memory duplex pair: exact bytes on the wire for the close
// handshake and ping/pong paths (RFC 6455 5.5, 7.1), with fake timers for the close timeout.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { encodeFrame, OPCODE } from '../src/frame.js';
import { resolveLimits } from '../src/options.js';
import { WebSocket } from '../src/websocket.js';
import { collect, duplexPair } from './helpers.js';

const hex = (h: string) => Buffer.from(h.replace(/\s/g, ''), 'hex');
const KEY = Buffer.from('01020304', 'hex');
const fromClient = (opcode: number, payload: string | Buffer) =>
  encodeFrame(opcode, payload, { mask: true, maskKey: KEY });

function serverSide(limits = {}) {
  const [local, remote] = duplexPair();
  const ws = new WebSocket(null);
  ws._attach(local, Buffer.alloc(0), { isServer: true, limits: resolveLimits(limits), deflate: null });
  const wire = collect(remote);
  const events: unknown[] = [];
  ws.on('message', (d, b) => events.push(['message', b ? (d as Buffer).toString('hex') : d.toString()]));
  ws.on('ping', (d) => events.push(['ping', d.toString()]));
  ws.on('pong', (d) => events.push(['pong', d.toString()]));
  ws.on('error', (e) => events.push(['error', (e as { code?: string }).code]));
  const closed = new Promise<[number, string]>((r) =>
    ws.on('close', (c, reason) => r([c, reason.toString()])),
  );
  return { ws, local, remote, wire, events, closed };
}

const tick = () => new Promise((r) => setImmediate(r));

afterEach(() => {
  vi.useRealTimers();
});

describe('close handshake (RFC 6455 7.1)', () => {
  it('echoes the peer close code, then the server ends TCP first', async () => {
    const s = serverSide();
    s.remote.write(fromClient(OPCODE.CLOSE, hex('0fa0 627965'))); // 4000 "bye"
    await s.wire.ended;
    expect(s.wire.bytes().toString('hex')).toBe('88020fa0'); // code echoed, reason not
    expect(s.ws.readyState).toBe(WebSocket.CLOSING);
    s.remote.end();
    expect(await s.closed).toEqual([4000, 'bye']);
    expect(s.ws.readyState).toBe(WebSocket.CLOSED);
  });

  it('answers an empty close with an empty close and reports 1005', async () => {
    const s = serverSide();
    s.remote.write(fromClient(OPCODE.CLOSE, Buffer.alloc(0)));
    await s.wire.ended;
    expect(s.wire.bytes().toString('hex')).toBe('8800');
    s.remote.end();
    expect(await s.closed).toEqual([1005, '']);
  });

  it('server-initiated: sends the close, waits for the echo, then ends', async () => {
    const s = serverSide();
    s.ws.close(1000, 'done');
    await tick();
    expect(s.wire.bytes().toString('hex')).toBe(
      `8806 03e8 ${Buffer.from('done').toString('hex')}`.replace(/ /g, ''),
    );
    s.ws.send('dropped'); // nothing after the close frame (RFC 6455 5.5.1)
    s.remote.write(fromClient(OPCODE.CLOSE, hex('03e8')));
    await s.wire.ended;
    s.remote.end();
    expect(await s.closed).toEqual([1000, '']);
    expect(s.wire.bytes().length).toBe(8);
  });

  it('destroys the connection when the peer never answers the close (closeTimeout)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const s = serverSide({ closeTimeout: 5000 });
    s.ws.close(1001);
    await vi.advanceTimersByTimeAsync(4999);
    expect(s.ws.readyState).toBe(WebSocket.CLOSING);
    await vi.advanceTimersByTimeAsync(1);
    vi.useRealTimers();
    expect(await s.closed).toEqual([1006, '']);
  });

  it('refuses to send reserved codes and long reasons', () => {
    const s = serverSide();
    expect(() => s.ws.close(1005)).toThrow(/1005/);
    expect(() => s.ws.close(1006)).toThrow(/1006/);
    expect(() => s.ws.close(1000, 'x'.repeat(124))).toThrow(/123/);
    expect(s.ws.readyState).toBe(WebSocket.OPEN);
  });

  it('fails the connection on a protocol error: close 1002, error event, TCP end', async () => {
    const s = serverSide();
    s.remote.write(hex('810548656c6c6f')); // unmasked client frame
    await s.wire.ended;
    const out = s.wire.bytes();
    expect(out.subarray(0, 4).toString('hex')).toBe(
      `88${(out.length - 2).toString(16).padStart(2, '0')}03ea`,
    );
    expect(s.events).toEqual([['error', 'WS_ERR_EXPECTED_MASK']]);
    s.remote.end();
    expect((await s.closed)[0]).toBe(1002);
  });

  it('closes with 1007 on invalid UTF-8', async () => {
    const s = serverSide();
    s.remote.write(fromClient(OPCODE.TEXT, hex('cebae1bdb9cf83cebcceb5eda080')));
    await s.wire.ended;
    expect(s.wire.bytes().subarray(2, 4).toString('hex')).toBe('03ef');
    expect(s.events).toEqual([['error', 'WS_ERR_INVALID_UTF8']]);
  });
});

describe('ping/pong (RFC 6455 5.5.2, 5.5.3)', () => {
  it('answers a ping with a pong carrying the same payload', async () => {
    const s = serverSide();
    s.remote.write(fromClient(OPCODE.PING, 'are you there'));
    await tick();
    expect(s.wire.bytes().toString('hex')).toBe(`8a0d${Buffer.from('are you there').toString('hex')}`);
    expect(s.events).toEqual([['ping', 'are you there']]);
  });

  it('ignores unsolicited pongs (no answer), reports them', async () => {
    const s = serverSide();
    s.remote.write(fromClient(OPCODE.PONG, 'beat'));
    await tick();
    expect(s.wire.bytes().length).toBe(0);
    expect(s.events).toEqual([['pong', 'beat']]);
  });

  it('sends pings and refuses payloads over 125 bytes', async () => {
    const s = serverSide();
    s.ws.ping('x');
    expect(() => s.ws.ping(Buffer.alloc(126))).toThrow(/125/);
    await tick();
    expect(s.wire.bytes().toString('hex')).toBe('890178');
  });
});

describe('sending', () => {
  it('writes the first frame of a tick at once and coalesces the rest into one write, in order', async () => {
    const s = serverSide();
    const writes: number[] = [];
    const write = s.local.write.bind(s.local);
    s.local.write = ((chunk: Buffer, ...rest: unknown[]) => {
      writes.push(chunk.length);
      return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof s.local.write;
    const done: number[] = [];
    for (let i = 0; i < 100; i++) s.ws.send(`m${i % 10}`, () => done.push(i));
    // The first went to the socket before send() returned (nothing of this connection's waited).
    expect(writes).toEqual([4]);
    expect(s.ws.bufferedAmount).toBe(396);
    await tick();
    expect(writes).toEqual([4, 396]);
    expect(done).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(s.wire.bytes().subarray(0, 8).toString('hex')).toBe('81026d3081026d31');
    expect(s.ws.bufferedAmount).toBe(0);
    // A later tick writes at once again.
    s.ws.send('x');
    expect(writes).toEqual([4, 396, 3]);
  });

  it('batches the replies to one read into one write at the end of that read (no tick waited for)', async () => {
    const s = serverSide();
    const writes: string[] = [];
    const write = s.local.write.bind(s.local);
    s.local.write = ((chunk: Buffer, ...rest: unknown[]) => {
      writes.push(chunk.toString('hex'));
      return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof s.local.write;
    s.ws.on('message', (data) => s.ws.send(data, { binary: false }));
    await tick(); // the socket is flowing from here: a push emits 'data' synchronously
    // Three text messages in one chunk.
    s.local.push(
      Buffer.concat([
        fromClient(OPCODE.TEXT, 'a'),
        fromClient(OPCODE.TEXT, 'b'),
        fromClient(OPCODE.TEXT, 'c'),
      ]),
    );
    expect(writes).toEqual(['810161810162810163']);
    expect(s.ws.bufferedAmount).toBe(0);
  });

  it('writes the first reply of a read at once when no other connection was read since its last read', async () => {
    // A lone busy connection is latency-bound: the peer gets the first echo while the rest are produced.
    const s = serverSide();
    const writes: string[] = [];
    const write = s.local.write.bind(s.local);
    s.local.write = ((chunk: Buffer, ...rest: unknown[]) => {
      writes.push(chunk.toString('hex'));
      return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof s.local.write;
    s.ws.on('message', (data) => s.ws.send(data, { binary: false }));
    await tick();
    s.local.push(fromClient(OPCODE.TEXT, 'x'));
    await tick();
    s.local.push(
      Buffer.concat([
        fromClient(OPCODE.TEXT, 'a'),
        fromClient(OPCODE.TEXT, 'b'),
        fromClient(OPCODE.TEXT, 'c'),
      ]),
    );
    expect(writes).toEqual(['810178', '810161', '810162810163']);
    expect(s.ws.bufferedAmount).toBe(0);
  });

  it("keeps a read's replies in one write when another connection was read in between (a busy process)", async () => {
    const a = serverSide();
    const b = serverSide();
    const writes: string[] = [];
    const write = a.local.write.bind(a.local);
    a.local.write = ((chunk: Buffer, ...rest: unknown[]) => {
      writes.push(chunk.toString('hex'));
      return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof a.local.write;
    a.ws.on('message', (data) => a.ws.send(data, { binary: false }));
    await tick();
    a.local.push(fromClient(OPCODE.TEXT, 'x'));
    b.local.push(fromClient(OPCODE.TEXT, 'y'));
    await tick();
    a.local.push(
      Buffer.concat([
        fromClient(OPCODE.TEXT, 'a'),
        fromClient(OPCODE.TEXT, 'b'),
        fromClient(OPCODE.TEXT, 'c'),
      ]),
    );
    expect(writes).toEqual(['810178', '810161810162810163']);
    expect(b.events).toEqual([['message', 'y']]);
  });

  it('drops a send into the closing window (socket ended, its close not come yet) without a socket error', async () => {
    // A send written at once must check the socket first: writing to an ended socket is
    // ERR_STREAM_WRITE_AFTER_END, an 'error' on the socket that destroys it.
    const s = serverSide();
    const socketErrors: string[] = [];
    s.local.on('error', (e) => socketErrors.push((e as { code?: string }).code ?? e.message));
    s.local.end();
    expect(s.ws.readyState).toBe(WebSocket.OPEN);
    const err = await new Promise<Error | undefined>((r) => s.ws.send('late', r));
    s.ws.send('later, no callback');
    await tick();
    expect(err?.message).toBe('the socket is closed');
    expect(socketErrors).toEqual([]);
    expect(s.events).toEqual([]);
  });

  it('sends binary from Buffer, ArrayBuffer and views', async () => {
    const s = serverSide();
    s.ws.send(Buffer.from([1, 2]));
    s.ws.send(new Uint8Array([3, 4]).buffer);
    s.ws.send(new Uint16Array([0x0605]));
    await tick();
    expect(s.wire.bytes().toString('hex')).toBe('820201028202030482020506');
  });

  it('reports an error to the callback after close', async () => {
    const s = serverSide();
    s.ws.close();
    const err = await new Promise<Error | undefined>((r) => s.ws.send('late', r));
    expect((err as { code?: string }).code).toBe('WS_ERR_NOT_OPEN');
  });

  it('sends the bytes a large binary buffer held at send() time, even if the caller refills it at once', async () => {
    const s = serverSide();
    const buf = Buffer.alloc(64 * 1024, 1);
    s.ws.send(buf);
    buf.fill(2); // the usual Node pattern: reuse the buffer once send() returned
    await tick();
    const wire = s.wire.bytes();
    expect(wire.subarray(0, 10).toString('hex')).toBe('827f0000000000010000'); // FIN binary, 64-bit length
    expect(wire.length).toBe(10 + 64 * 1024);
    expect(wire.subarray(10).equals(Buffer.alloc(64 * 1024, 1))).toBe(true);
  });
});

describe('sending with a compressor', () => {
  it('keeps order behind a pending compression and fails the in-flight callback when the socket closes', async () => {
    const [local, remote] = duplexPair();
    const pending: ((err: Error | null, result?: Buffer) => void)[] = [];
    const deflate = {
      threshold: 4,
      compress: (_d: Buffer, _f: boolean, cb: (err: Error | null, result?: Buffer) => void) =>
        pending.push(cb),
      decompress: () => {},
      cleanup: () => {},
    };
    const ws = new WebSocket(null);
    ws._attach(local, Buffer.alloc(0), { isServer: true, limits: resolveLimits({}), deflate: deflate });
    const wire = collect(remote);
    const results: string[] = [];
    ws.send('long enough', (err) => results.push(err ? 'failed' : 'sent-1'));
    ws.send('abc', (err) => results.push(err ? 'failed-2' : 'sent-2')); // under threshold, but must wait
    await tick();
    expect(wire.bytes().length).toBe(0);
    pending.shift()!(null, Buffer.from('Z'));
    await tick();
    expect(wire.bytes().toString('hex')).toBe('c1015a' + '8103616263'); // RSV1 compressed, then plain
    ws.send('another long one', (err) => results.push(err ? 'failed-3' : 'sent-3'));
    const closed = new Promise((r) => ws.once('close', r));
    local.destroy();
    await closed;
    pending.shift()!(null, Buffer.from('Y'));
    await tick();
    expect(results).toEqual(['sent-1', 'sent-2', 'failed-3']);
  });

  it('compresses and sends the bytes binary buffers held at send() time, even if the caller refills them at once', async () => {
    const [local, remote] = duplexPair();
    const pending: [Buffer, (err: Error | null, result?: Buffer) => void][] = [];
    const deflate = {
      threshold: 4,
      compress: (d: Buffer, _f: boolean, cb: (err: Error | null, result?: Buffer) => void) =>
        pending.push([d, cb]),
      decompress: () => {},
      cleanup: () => {},
    };
    const ws = new WebSocket(null);
    ws._attach(local, Buffer.alloc(0), { isServer: true, limits: resolveLimits({}), deflate: deflate });
    const wire = collect(remote);
    const big = Buffer.alloc(8, 1);
    const small = Buffer.alloc(2, 3);
    ws.send(big); // zlib reads its input later, on the thread pool
    ws.send(small); // under the threshold, but queued behind the compression
    big.fill(2);
    small.fill(4);
    const [input, done] = pending.shift()!;
    expect(input.equals(Buffer.alloc(8, 1))).toBe(true);
    done(null, Buffer.from('Z'));
    await tick();
    expect(wire.bytes().toString('hex')).toBe('c2015a' + '82020303');
  });
});

describe('messages', () => {
  it('delivers text as Buffer with isBinary false, and the WHATWG event as a string', async () => {
    const s = serverSide();
    const seen: unknown[] = [];
    s.ws.addEventListener('message', (ev) => seen.push(ev.data));
    s.ws.binaryType = 'arraybuffer';
    s.remote.write(
      Buffer.concat([fromClient(OPCODE.TEXT, 'héllo'), fromClient(OPCODE.BINARY, Buffer.from([9, 8]))]),
    );
    await tick();
    expect(seen[0]).toBe('héllo');
    expect(seen[1]).toBeInstanceOf(ArrayBuffer);
    expect(Buffer.from(seen[1] as ArrayBuffer).toString('hex')).toBe('0908');
  });

  it('supports on-properties and removeEventListener', async () => {
    const s = serverSide();
    const seen: string[] = [];
    const listener = () => seen.push('listener');
    s.ws.addEventListener('message', listener);
    s.ws.addEventListener('message', listener); // WHATWG: no duplicate
    s.ws.onmessage = () => seen.push('on');
    expect(typeof s.ws.onmessage).toBe('function');
    s.remote.write(fromClient(OPCODE.TEXT, 'a'));
    await tick();
    s.ws.removeEventListener('message', listener);
    s.ws.onmessage = null;
    s.remote.write(fromClient(OPCODE.TEXT, 'b'));
    await tick();
    expect(seen).toEqual(['listener', 'on']);
  });
});
