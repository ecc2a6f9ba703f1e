// Slow consumers (DESIGN.md "Bounded everything": queued messages per client, with a policy: drop oldest,
// or disconnect the slow client). A long-polling client that stops connecting and a WebSocket client that
// stops reading must both be held to maxQueue: the server's memory for one client stays bounded whatever
// is published, and with queuePolicy 'disconnect' the slow client is dropped (Bayeux: it re-handshakes on
// 402 advice). Publishing is bounded in count and size; every wait has a deadline.
import { once } from 'node:events';
import type { Message } from '@pushwire/bayeux';
import { WebSocket } from '@pushwire/websocket';
import { describe, expect, it } from 'vitest';
import { postBayeux, quietPollingClient, RawBayeuxWs, useBayeuxHarness } from './bayeux-support.js';
import { until, within } from './support.js';

const fx = useBayeuxHarness();

const connect = (clientId: string): Message => ({
  channel: '/meta/connect',
  clientId,
  connectionType: 'long-polling',
  advice: { timeout: 0 }, // answer at once with whatever is queued
});

describe('slow long-polling client (stops sending /meta/connect)', () => {
  it('drop-oldest: maxQueue + 5 published, the next connect gets exactly the newest maxQueue', async () => {
    const maxQueue = 10;
    await fx.start({ maxQueue, queuePolicy: 'drop-oldest' });
    const clientId = await quietPollingClient(fx.h.port, '/slow/lp');
    for (let i = 0; i < maxQueue + 5; i++) await fx.h.bayeux.publish('/slow/lp', { i });
    const replies = (await postBayeux(fx.h.port, [connect(clientId)])).replies;
    const got = replies.filter((m) => m.channel === '/slow/lp').map((m) => (m.data as { i: number }).i);
    expect(got).toEqual(Array.from({ length: maxQueue }, (_, k) => k + 5));
  });

  it("disconnect: maxQueue + 1 published, the client is dropped as 'slow' and told to re-handshake", async () => {
    const maxQueue = 10;
    await fx.start({ maxQueue, queuePolicy: 'disconnect' });
    const gone: { clientId: string; reason: string; lost?: unknown }[] = [];
    fx.h.bayeux.on('disconnect', (e) => gone.push(e));
    const clientId = await quietPollingClient(fx.h.port, '/slow/lp');
    for (let i = 0; i < maxQueue; i++) await fx.h.bayeux.publish('/slow/lp', { i });
    expect(gone).toEqual([]);
    await fx.h.bayeux.publish('/slow/lp', { i: maxQueue });
    await until(() => gone.length === 1, 5000, 'slow client dropped');
    // The event says what the policy dropped: the full queue went with the session.
    const sizes = Array.from({ length: maxQueue }, (_, i) =>
      Buffer.byteLength(JSON.stringify({ channel: '/slow/lp', data: { i } })),
    );
    expect(gone[0]).toEqual({
      clientId,
      reason: 'slow',
      lost: { dropped: maxQueue, bytes: sizes.reduce((a, b) => a + b, 0) },
    });
    const [reply] = (await postBayeux(fx.h.port, [connect(clientId)])).replies;
    expect(reply).toMatchObject({ successful: false, advice: { reconnect: 'handshake' } });
    expect(String(reply?.error)).toMatch(/^402:/);
  });
});

describe('slow WebSocket client (stops reading its socket)', () => {
  const maxQueue = 20;
  const payload = 'x'.repeat(8 * 1024);
  // 24 MiB in total: far beyond what the kernel's loopback buffers can absorb on either side.
  const total = 3000;

  /**
   * Publishes `total` 8 KiB messages in bursts of maxQueue / 2, each burst once the good subscriber has
   * read the previous one: a reader keeping up never reaches maxQueue, only the non-reading one can.
   */
  async function flood(good: { count: () => number }, stop: () => boolean): Promise<number> {
    let sent = 0;
    while (sent < total && !stop()) {
      for (let k = 0; k < maxQueue / 2; k++) await fx.h.bayeux.publish('/slow/ws', { i: sent++, payload });
      await until(() => good.count() >= sent || stop(), 5000, `good subscriber keeps up (${sent})`);
    }
    return sent;
  }

  /** A well-behaved WebSocket subscriber on the same server (our own client, reading normally). */
  async function goodSubscriber(): Promise<{ count: () => number; close: () => Promise<void> }> {
    const ws = new WebSocket(`ws://127.0.0.1:${fx.h.port}/bayeux`);
    await within(once(ws, 'open'), 5000, 'good subscriber open');
    let received = 0;
    let clientId = '';
    const replies: Message[] = [];
    ws.on('message', (data) => {
      for (const m of JSON.parse(data.toString()) as Message[]) {
        if (m.channel === '/slow/ws') received++;
        else replies.push(m);
      }
    });
    ws.send(
      JSON.stringify([
        { channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['websocket'] },
      ]),
    );
    await until(() => replies.length > 0, 5000, 'good handshake');
    clientId = replies[0]?.clientId as string;
    ws.send(JSON.stringify([{ channel: '/meta/subscribe', clientId, subscription: '/slow/ws' }]));
    ws.send(JSON.stringify([{ channel: '/meta/connect', clientId, connectionType: 'websocket' }]));
    await until(() => replies.length >= 3, 5000, 'good subscribe + connect');
    ws.send(JSON.stringify([{ channel: '/meta/connect', clientId, connectionType: 'websocket' }]));
    return {
      count: () => received,
      close: async () => {
        const closed = once(ws, 'close');
        ws.terminate();
        await closed;
      },
    };
  }

  /** Bytes the server holds for the slow peer: its socket's user-space write queue. */
  function bufferedForSlowPeer(): number {
    return Math.max(0, ...fx.h.serverSockets.map((s) => s.writableLength));
  }

  // Regression (found by HARDENING, fixed in e3ae93d): pushes over a WebSocket used to drain the engine
  // queue into ws.send() without looking at bufferedAmount, so maxQueue/queuePolicy never applied to a
  // WebSocket client that stopped reading (20.8 MB held for one client with maxQueue 20). Now pushes stop
  // past maxSocketBuffer and the messages stay in the engine queue, under the policy.
  it("queuePolicy 'disconnect': a WebSocket client that never reads is dropped as 'slow'", async () => {
    await fx.start({ maxQueue, queuePolicy: 'disconnect' });
    const gone: { clientId: string; reason: string; lost?: unknown }[] = [];
    fx.h.bayeux.on('disconnect', (e) => gone.push(e));
    const slow = await RawBayeuxWs.open(fx.h.port);
    fx.track(slow);
    const clientId = await slow.join('/slow/ws');
    slow.socket.pause(); // stop reading: the kernel buffers fill, then the server's
    const good = await goodSubscriber();
    try {
      await flood(good, () => gone.length > 0);
      expect(gone, `server buffers ${bufferedForSlowPeer()} bytes for the slow peer`).toContainEqual({
        clientId,
        reason: 'slow',
        // The event says what the 'disconnect' policy dropped: the full queue.
        lost: { dropped: maxQueue, bytes: expect.any(Number) },
      });
    } finally {
      await good.close();
    }
    // Heavier than most: its own bound, so a loaded CI machine does not trip the 20 s default.
  }, 60_000);

  it("queuePolicy 'drop-oldest': what the server buffers for a non-reading client stays bounded", async () => {
    await fx.start({ maxQueue, queuePolicy: 'drop-oldest' });
    const slow = await RawBayeuxWs.open(fx.h.port);
    fx.track(slow);
    await slow.join('/slow/ws');
    slow.socket.pause();
    const good = await goodSubscriber();
    try {
      await flood(good, () => false);
      // maxQueue messages of 8 KiB plus one frame in flight, with generous slack: 2 MiB. Without a bound
      // the server holds most of the 24 MiB published.
      expect(bufferedForSlowPeer()).toBeLessThan(2 * 1024 * 1024);
    } finally {
      await good.close();
    }
    // Heavier than most: its own bound, so a loaded CI machine does not trip the 20 s default.
  }, 60_000);
});
