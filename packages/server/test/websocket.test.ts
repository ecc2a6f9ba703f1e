// The websocket transport, driven by the independent `ws` client.
import type { Message } from '@pushwire/bayeux';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type Harness, startServer, until } from './helpers/http.js';

let h: Harness | undefined;
const sockets: WebSocket[] = [];
afterEach(async () => {
  for (const ws of sockets.splice(0)) ws.terminate();
  await h?.close();
  h = undefined;
});

/** A ws client that records every frame (parsed) and the close code. */
class Peer {
  readonly frames: Message[][] = [];
  closed: { code: number; reason: string } | undefined;
  readonly ws: WebSocket;
  constructor(url: string) {
    this.ws = new WebSocket(url.replace(/^http/, 'ws'));
    sockets.push(this.ws);
    this.ws.on('message', (data) => this.frames.push(JSON.parse(String(data)) as Message[]));
    this.ws.on('close', (code, reason) => (this.closed = { code, reason: String(reason) }));
  }
  open(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
  }
  send(messages: unknown): void {
    this.ws.send(typeof messages === 'string' ? messages : JSON.stringify(messages));
  }
  /** Waits for frame number `n` (0-based). */
  async frame(n: number): Promise<Message[]> {
    await until(() => this.frames.length > n || this.closed !== undefined, `frame ${n}`, 5000);
    const f = this.frames[n];
    if (f === undefined) throw new Error(`socket closed before frame ${n}: ${JSON.stringify(this.closed)}`);
    return f;
  }
  async closedWith(): Promise<number> {
    await until(() => this.closed !== undefined, 'close', 5000);
    return this.closed!.code;
  }
}

async function wsClient(url: string): Promise<{ peer: Peer; clientId: string }> {
  const peer = new Peer(url);
  await peer.open();
  peer.send([
    { channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['websocket'], id: '1' },
  ]);
  const [hs] = await peer.frame(0);
  expect(hs).toMatchObject({ successful: true, supportedConnectionTypes: ['websocket'] });
  const clientId = hs!.clientId as string;
  peer.send([{ channel: '/meta/connect', clientId, connectionType: 'websocket', id: '2' }]);
  expect((await peer.frame(1))[0]).toMatchObject({ channel: '/meta/connect', successful: true });
  return { peer, clientId };
}

describe('websocket transport', () => {
  it('pushes as soon as messages are queued, a burst in ONE frame, while the connect stays held', async () => {
    h = await startServer({ timeout: 30_000 });
    const { peer, clientId } = await wsClient(h.url);
    peer.send([{ channel: '/meta/subscribe', clientId, subscription: '/room/*', id: '3' }]);
    expect(await peer.frame(2)).toEqual([
      { channel: '/meta/subscribe', id: '3', clientId, successful: true, subscription: '/room/*' },
    ]);
    peer.send([{ channel: '/meta/connect', clientId, connectionType: 'websocket', id: '4' }]);
    await until(() => h!.bayeux.heldConnects === 1, 'held');
    await Promise.all([
      h.bayeux.publish('/room/a', 1),
      h.bayeux.publish('/room/b', 2),
      h.bayeux.publish('/room/c', 3),
    ]);
    expect(await peer.frame(3)).toEqual([
      { channel: '/room/a', data: 1 },
      { channel: '/room/b', data: 2 },
      { channel: '/room/c', data: 3 },
    ]);
    expect(h.bayeux.heldConnects).toBe(1);
  });

  it('the held connect is still answered at timeout (heartbeat)', async () => {
    h = await startServer({ timeout: 200 });
    const { peer, clientId } = await wsClient(h.url);
    peer.send([{ channel: '/meta/connect', clientId, connectionType: 'websocket', id: 'hb' }]);
    expect(await peer.frame(2)).toEqual([
      {
        channel: '/meta/connect',
        id: 'hb',
        clientId,
        successful: true,
        advice: { reconnect: 'retry', interval: 0, timeout: 200 },
      },
    ]);
  });

  it('frames after a held connect are processed at once, in order', async () => {
    h = await startServer({ timeout: 30_000 });
    const { peer, clientId } = await wsClient(h.url);
    peer.send([{ channel: '/meta/connect', clientId, connectionType: 'websocket', id: 'held' }]);
    peer.send([{ channel: '/service/x', clientId, data: 1, id: 'a' }]);
    peer.send([{ channel: '/service/x', clientId, data: 2, id: 'b' }]);
    expect((await peer.frame(2))[0]?.id).toBe('a');
    expect((await peer.frame(3))[0]?.id).toBe('b');
  });

  it('closing the socket drops the held connect without losing queued messages', async () => {
    h = await startServer({ timeout: 30_000 });
    const { peer, clientId } = await wsClient(h.url);
    peer.send([{ channel: '/meta/subscribe', clientId, subscription: '/q', id: 's' }]);
    await peer.frame(2);
    peer.send([{ channel: '/meta/connect', clientId, connectionType: 'websocket', id: 'held' }]);
    await until(() => h!.bayeux.heldConnects === 1, 'held');
    peer.ws.close();
    await until(() => h!.bayeux.heldConnects === 0, 'released');
    await h.bayeux.publish('/q', 'kept');
    const next = new Peer(h.url);
    await next.open();
    next.send([
      {
        channel: '/meta/connect',
        clientId,
        connectionType: 'websocket',
        id: 'again',
        advice: { timeout: 0 },
      },
    ]);
    expect(await next.frame(0)).toEqual([
      { channel: '/q', data: 'kept' },
      expect.objectContaining({ channel: '/meta/connect', id: 'again', successful: true }),
    ]);
  });

  it('maxMessageSize: a message of exactly the limit is processed, one byte more closes with 1009', async () => {
    h = await startServer({ maxMessageSize: 200 });
    const peer = new Peer(h.url);
    await peer.open();
    const base = JSON.stringify([
      { channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['websocket'], pad: '' },
    ]);
    const msg = (n: number) => [
      {
        channel: '/meta/handshake',
        version: '1.0',
        supportedConnectionTypes: ['websocket'],
        pad: 'x'.repeat(n - base.length),
      },
    ];
    peer.send(msg(200));
    expect((await peer.frame(0))[0]?.successful).toBe(true);
    peer.send(msg(201));
    expect(await peer.closedWith()).toBe(1009);
  });

  it('maxMessagesPerRequest: one message more than allowed in a frame gets its own error reply; the socket stays open', async () => {
    h = await startServer({ maxMessagesPerRequest: 2 });
    const { peer, clientId } = await wsClient(h.url);
    const pub = (id: string) => ({ channel: '/service/x', clientId, data: 1, id });
    peer.send([pub('a'), pub('b')]);
    expect((await peer.frame(2)).map((m) => [m.id, m.successful])).toEqual([
      ['a', true],
      ['b', true],
    ]);
    peer.send([pub('c'), pub('d'), pub('e')]);
    expect(await peer.frame(3)).toEqual([
      { channel: '/service/x', id: 'c', successful: true },
      { channel: '/service/x', id: 'd', successful: true },
      { channel: '/service/x', id: 'e', successful: false, error: '400:2:too_many_messages' },
    ]);
    peer.send([pub('f')]);
    expect((await peer.frame(4)).map((m) => [m.id, m.successful])).toEqual([['f', true]]);
  });

  it.each([
    ['malformed JSON', '[{', 1008],
    ['a scalar', '7', 1008],
  ])('%s closes with %i and the server stays up', async (_, text, code) => {
    h = await startServer();
    const peer = new Peer(h.url);
    await peer.open();
    peer.send(text);
    expect(await peer.closedWith()).toBe(code);
    await wsClient(h.url);
  });

  it('a binary frame closes with 1003', async () => {
    h = await startServer();
    const peer = new Peer(h.url);
    await peer.open();
    peer.ws.send(Buffer.from('[]'));
    expect(await peer.closedWith()).toBe(1003);
  });

  it('close() closes sockets with 1001 after answering the held connect', async () => {
    h = await startServer({ timeout: 30_000 });
    const { peer, clientId } = await wsClient(h.url);
    peer.send([{ channel: '/meta/connect', clientId, connectionType: 'websocket', id: 'held' }]);
    await until(() => h!.bayeux.heldConnects === 1, 'held');
    await h.bayeux.close();
    expect(await peer.closedWith()).toBe(1001);
    expect((await peer.frame(2))[0]).toMatchObject({
      channel: '/meta/connect',
      id: 'held',
      advice: { reconnect: 'retry' },
    });
  });

  it('refuses a cross-site upgrade (same-origin by default) with 403', async () => {
    h = await startServer();
    const evil = new WebSocket(h.url.replace(/^http/, 'ws'), { origin: 'http://evil.example' });
    sockets.push(evil);
    await expect(
      new Promise((resolve, reject) => {
        evil.once('open', resolve);
        evil.once('error', reject);
      }),
    ).rejects.toThrow(/403/);
    const same = new WebSocket(h.url.replace(/^http/, 'ws'), { origin: h.origin });
    sockets.push(same);
    await new Promise((resolve, reject) => {
      same.once('open', resolve);
      same.once('error', reject);
    });
  });

  it('a client that stops reading is not buffered without bound: past maxSocketBuffer messages wait in the engine queue', async () => {
    h = await startServer({ timeout: 30_000, maxSocketBuffer: 16 * 1024 });
    const { peer, clientId } = await wsClient(h.url);
    peer.send([{ channel: '/meta/subscribe', clientId, subscription: '/flood', id: 's' }]);
    await peer.frame(2);
    (peer.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const big = 'x'.repeat(8 * 1024);
    for (let i = 0; i < 2000 && (h.engine.clients.get(clientId)?.queue.length ?? 0) <= 5; i++) {
      await h.bayeux.publish('/flood', big);
      await new Promise((r) => setImmediate(r));
    }
    // Pushes stopped once the socket pushed back: the rest is in the engine queue, where maxQueue and the
    // queue policy bound it (test/faults/bayeux-slow-client covers the policies on the memory engine).
    expect(h.engine.clients.get(clientId)?.queue.length).toBeGreaterThan(5);
  });

  it('perMessageDeflate: negotiated when enabled, absent by default', async () => {
    h = await startServer({ perMessageDeflate: true, timeout: 30_000 });
    const { peer, clientId } = await wsClient(h.url);
    expect(peer.ws.extensions).toContain('permessage-deflate');
    peer.send([{ channel: '/service/x', clientId, data: 'y'.repeat(5000), id: 'z' }]);
    expect((await peer.frame(2))[0]).toEqual({ channel: '/service/x', id: 'z', successful: true });
    await h.close();
    h = await startServer();
    const plain = await wsClient(h.url);
    expect(plain.peer.ws.extensions).toBe('');
  });

  it('upgrades elsewhere are left alone; websocket can be disabled', async () => {
    h = await startServer({ transports: ['long-polling'] });
    const peer = new Peer(h.url);
    await expect(peer.open()).rejects.toThrow(/400/);
  });
});
