// pause()/resume(): stop and restart reading from the socket (flow control towards the peer, like ws@8).
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { encodeFrame, OPCODE } from '../src/frame.js';
import { resolveLimits } from '../src/options.js';
import { WebSocket } from '../src/websocket.js';
import { collect, duplexPair } from './helpers.js';

const KEY = Buffer.from('01020304', 'hex');
const tick = () => new Promise((r) => setImmediate(r));

function serverSide() {
  const [local, remote] = duplexPair();
  const ws = new WebSocket(null);
  ws._attach(local, Buffer.alloc(0), { isServer: true, limits: resolveLimits({}), deflate: null });
  return { ws, local, remote, wire: collect(remote) };
}

describe('pause() / resume()', () => {
  it('stops reading while paused and delivers what arrived meanwhile on resume', async () => {
    const s = serverSide();
    const got: string[] = [];
    s.ws.on('message', (d) => got.push(d.toString()));
    s.ws.pause();
    expect(s.ws.isPaused).toBe(true);
    expect(s.local.isPaused()).toBe(true);
    s.remote.write(encodeFrame(OPCODE.TEXT, 'held', { mask: true, maskKey: KEY }));
    await tick();
    await tick();
    expect(got).toEqual([]);
    s.ws.resume();
    expect(s.ws.isPaused).toBe(false);
    await once(s.ws, 'message');
    expect(got).toEqual(['held']);
  });

  it('close() resumes reading, so the peer close frame completes the handshake', async () => {
    const s = serverSide();
    s.ws.pause();
    s.ws.close(1000);
    expect(s.ws.isPaused).toBe(false);
    const closed = new Promise<number>((r) => s.ws.once('close', (code) => r(code)));
    s.remote.write(encodeFrame(OPCODE.CLOSE, Buffer.from('03e8', 'hex'), { mask: true, maskKey: KEY }));
    await s.wire.ended; // the server read the close frame and ended TCP (RFC 6455 7.1.1)
    s.remote.end();
    expect(await closed).toBe(1000);
  });

  it('does nothing before the connection is open', () => {
    const ws = new WebSocket(null);
    ws.pause();
    ws.resume();
    expect(ws.isPaused).toBe(false);
  });
});
