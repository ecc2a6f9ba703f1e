// The closing handshake's steps (close-handshake.ts), against a recording sender and fake timers: which
// close frame goes out, who ends TCP (RFC 6455 7.1.1), the reported code, and closeTimeout. The same steps
// over a real connection are in connection.test.ts and the conformance suite (test/websocket, case 7).
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CloseHandshake } from '../src/close-handshake.js';
import { WebSocketError } from '../src/errors.js';
import { OPCODE } from '../src/frame.js';
import type { Sender } from '../src/sender.js';

function setup(isServer: boolean, closeTimeout = 1000) {
  const calls: string[] = [];
  const sender = {
    sendControl: (opcode: number, payload: Buffer) => calls.push(`${opcode}:${payload.toString('hex')}`),
    end: () => calls.push('end'),
  } as unknown as Sender;
  const socket = new PassThrough();
  const owner = new EventEmitter();
  const errors: string[] = [];
  owner.on('error', (e: WebSocketError) => errors.push(e.code));
  const close = new CloseHandshake({ owner, sender, socket, isServer, closeTimeout });
  return { close, calls, socket, errors };
}

const CLOSE = OPCODE.CLOSE;

afterEach(() => {
  vi.useRealTimers();
});

describe('CloseHandshake', () => {
  it('start: our frame; the peer answers: the server ends TCP first (7.1.1), the handshake is clean', () => {
    const s = setup(true);
    s.close.start(Buffer.from('03e8', 'hex'));
    expect(s.calls).toEqual([`${CLOSE}:03e8`]);
    s.close.peerClosed(1000, Buffer.alloc(0));
    expect(s.calls).toEqual([`${CLOSE}:03e8`, 'end']);
    expect([s.close.clean, s.close.code]).toEqual([true, 1000]);
    s.close.stop();
  });

  it('the client waits for the server to close TCP after the answer', () => {
    const s = setup(false);
    s.close.start(Buffer.alloc(0));
    s.close.peerClosed(1005, Buffer.alloc(0));
    expect(s.calls).toEqual([`${CLOSE}:`]);
    s.close.stop();
  });

  it('the peer starts: ours echoes its code (5.5.1), empty when it sent none (1005); the server ends TCP', () => {
    const s = setup(true);
    s.close.peerClosed(4000, Buffer.from('bye'));
    expect(s.calls).toEqual([`${CLOSE}:0fa0`, 'end']);
    expect([s.close.code, s.close.reason.toString()]).toEqual([4000, 'bye']);
    const t = setup(false);
    t.close.peerClosed(1005, Buffer.alloc(0));
    expect(t.calls).toEqual([`${CLOSE}:`]);
    s.close.stop();
    t.close.stop();
  });

  it('fail: a close frame with the error code and its message, then TCP; 1006 errors send no frame', () => {
    const s = setup(true);
    s.close.fail(new WebSocketError('WS_ERR_INVALID_UTF8', 'bad'));
    expect(s.calls).toEqual([`${CLOSE}:03ef${Buffer.from('bad').toString('hex')}`, 'end']);
    expect([s.close.code, s.close.clean]).toEqual([1007, false]);
    const t = setup(true);
    t.close.fail(new WebSocketError('WS_ERR_PING_TIMEOUT', 'gone'));
    expect(t.calls).toEqual(['end']);
    expect(t.close.code).toBe(1006);
    s.close.stop();
    t.close.stop();
  });

  it('closeTimeout: the socket is destroyed at the deadline, not 1 ms before', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const s = setup(true, 500);
    s.close.start(Buffer.alloc(0));
    vi.advanceTimersByTime(499);
    expect(s.socket.destroyed).toBe(false);
    vi.advanceTimersByTime(1);
    expect(s.socket.destroyed).toBe(true);
    expect(s.errors).toEqual(['WS_ERR_CLOSE_TIMEOUT']);
  });

  it('stop() cancels the deadline', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const s = setup(true, 500);
    s.close.start(Buffer.alloc(0));
    s.close.stop();
    vi.advanceTimersByTime(1000);
    expect(s.socket.destroyed).toBe(false);
    expect(s.errors).toEqual([]);
  });
});
