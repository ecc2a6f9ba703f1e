// The shipped extensions: ack (CometD wire format), timesync, timestamp.
import type { Message } from '@pushwire/bayeux';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ACK_STATE,
  ACK_TAKEN,
  ackExtension,
  bayeuxTimestamp,
  timestampExtension,
  timesyncExtension,
} from '../src/index.js';
import { connect, HANDSHAKE, type Harness, post, startServer, until } from './helpers/http.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const data = (messages: Message[]) => messages.filter((m) => m.channel === '/q').map((m) => m.data);
const connectReply = (messages: Message[]) => messages.find((m) => m.channel === '/meta/connect')!;

async function ackClient(url: string): Promise<string> {
  const { messages } = await post(url, [{ ...HANDSHAKE, ext: { ack: true } }]);
  expect(messages[0]?.ext).toEqual({ ack: true });
  const clientId = messages[0]!.clientId as string;
  const first = await post(url, [
    connect(clientId, 'c0', { ext: { ack: 0 } }),
    { channel: '/meta/subscribe', clientId, subscription: '/q', id: 's' },
  ]);
  expect(connectReply(first.messages).ext).toEqual({ ack: 0 });
  return clientId;
}

describe('ackExtension (CometD acknowledged messages)', () => {
  it('does not enable acks for clients that did not ask', async () => {
    h = await startServer();
    h.bayeux.addExtension(ackExtension());
    const { messages } = await post(h.url, [HANDSHAKE]);
    expect(messages[0]?.ext).toBeUndefined();
  });

  it('numbers batches on connect replies and resends what was not acknowledged, in order', async () => {
    h = await startServer({ timeout: 30_000 });
    h.bayeux.addExtension(ackExtension());
    const c = await ackClient(h.url);
    await h.bayeux.publish('/q', 1);
    await h.bayeux.publish('/q', 2);
    const b1 = await post(h.url, [connect(c, 'c1', { ext: { ack: 0 } })]);
    expect(data(b1.messages)).toEqual([1, 2]);
    expect(connectReply(b1.messages).ext).toEqual({ ack: 1 });
    // The reply of batch 1 was "lost": the client acknowledges batch 0 again. Batch 1 is pending, so the
    // connect is answered at once, with 1 and 2 again before the new 3, as batch 2.
    await h.bayeux.publish('/q', 3);
    const b2 = await post(h.url, [connect(c, 'c2', { ext: { ack: 0 } })]);
    expect(data(b2.messages)).toEqual([1, 2, 3]);
    expect(connectReply(b2.messages).ext).toEqual({ ack: 2 });
    // Batch 2 acknowledged: nothing pending, the next connect is held until a new message.
    const held = post(h.url, [connect(c, 'c3', { ext: { ack: 2 } })]);
    await until(() => h!.bayeux.heldConnects === 1, 'held');
    await h.bayeux.publish('/q', 4);
    const b3 = await held;
    expect(data(b3.messages)).toEqual([4]);
    expect(connectReply(b3.messages).ext).toEqual({ ack: 3 });
  });

  it('maxUnacked: keeps the newest maxUnacked messages when the client never acknowledges', async () => {
    h = await startServer();
    h.bayeux.addExtension(ackExtension({ maxUnacked: 3 }));
    const c = await ackClient(h.url);
    for (let n = 1; n <= 3; n++) await h.bayeux.publish('/q', n);
    expect(data((await post(h.url, [connect(c, 'a', { ext: { ack: 0 } })])).messages)).toEqual([1, 2, 3]);
    await h.bayeux.publish('/q', 4);
    expect(data((await post(h.url, [connect(c, 'b', { ext: { ack: 0 } })])).messages)).toEqual([2, 3, 4]);
  });

  it('maxUnackedBytes (crossed by one): what a client never acknowledges is bounded in bytes, oldest out', async () => {
    // Every message `{"channel":"/q","data":n}` with one digit has the same size.
    const size = Buffer.byteLength(JSON.stringify({ channel: '/q', data: 1 }));
    for (const [maxUnackedBytes, first, second] of [
      [3 * size, [1, 2, 3], [2, 3, 4]],
      [3 * size - 1, [2, 3], [3, 4]],
    ] as const) {
      h = await startServer();
      h.bayeux.addExtension(ackExtension({ maxUnackedBytes }));
      const c = await ackClient(h.url);
      for (let n = 1; n <= 3; n++) await h.bayeux.publish('/q', n);
      expect(data((await post(h.url, [connect(c, 'a', { ext: { ack: 0 } })])).messages)).toEqual(first);
      await h.bayeux.publish('/q', 4);
      expect(data((await post(h.url, [connect(c, 'b', { ext: { ack: 0 } })])).messages)).toEqual(second);
      await h.close();
      h = undefined;
    }
  });

  it('forgets a client when it disconnects', async () => {
    h = await startServer();
    const ext = ackExtension();
    h.bayeux.addExtension(ext);
    const c = await ackClient(h.url);
    await h.bayeux.publish('/q', 1);
    await post(h.url, [connect(c, 'a', { ext: { ack: 0 } })]);
    // The unacknowledged batch lives in the engine (any node may answer the next connect), not here.
    expect(JSON.parse((await h.engine.getClientState(c, ACK_STATE)) ?? 'null')).toMatchObject({
      b: 1,
      u: [[1, expect.any(String)]],
    });
    await post(h.url, [{ channel: '/meta/disconnect', clientId: c }]);
    expect(await h.engine.getClientState(c, ACK_STATE)).toBeUndefined();
    expect(ext.delivery?.hasPending(c)).toBe(false);
    expect(ext.delivery?.connectOnly(c)).toBe(false);
  });

  it('messages a node took but never stored (it died first) ride the next connect, on any node', async () => {
    h = await startServer();
    h.bayeux.addExtension(ackExtension());
    const c = await ackClient(h.url);
    await h.bayeux.publish('/q', 'taken-then-lost');
    // What a connect reply on a node killed right after its take leaves behind: the journal, not the state.
    expect(await h.engine.takeQueue(c, undefined, ACK_TAKEN)).toHaveLength(1);
    const next = await post(h.url, [connect(c, 'c1', { ext: { ack: 0 } })]);
    expect(next.messages.filter((m) => m.channel === '/q').map((m) => m.data)).toEqual(['taken-then-lost']);
    const batch = connectReply(next.messages).ext?.ack as number;
    expect(batch).toBeGreaterThan(0);
    // Stored in the ack state, the journal cleared: acknowledged, it is not sent again.
    expect(await h.engine.readJournal(c, ACK_TAKEN)).toEqual([]);
    const after = await post(h.url, [connect(c, 'c2', { ext: { ack: batch }, advice: { timeout: 0 } })]);
    expect(after.messages.filter((m) => m.channel === '/q')).toEqual([]);
  });

  it('rejects a nonsense maxUnacked', () => {
    expect(() => ackExtension({ maxUnacked: 0 })).toThrow(/maxUnacked/);
    expect(() => ackExtension({ maxUnacked: 0 })).toThrow(RangeError);
    expect(() => ackExtension({ maxUnackedBytes: '1' as never })).toThrow(TypeError);
  });
});

describe('timesyncExtension', () => {
  it('answers {tc, ts, p, a} on meta replies: ts when the request arrived, p the time held', async () => {
    let clock = 1_000_000;
    h = await startServer({ timeout: 30_000 });
    h.bayeux.addExtension(timesyncExtension({ now: () => clock }));
    const { messages } = await post(h.url, [
      { ...HANDSHAKE, ext: { timesync: { tc: 999_900, l: 12, o: 0 } } },
    ]);
    expect(messages[0]?.ext).toEqual({ timesync: { tc: 999_900, ts: 1_000_000, p: 0, a: 12 } });
    const clientId = messages[0]!.clientId as string;
    await post(h.url, [connect(clientId, 'c0')]);
    const held = post(h.url, [connect(clientId, 'c1', { ext: { timesync: { tc: 1_000_100, l: 5, o: 1 } } })]);
    await until(() => h!.bayeux.heldConnects === 1, 'held');
    clock += 250;
    await post(h.url, [{ channel: '/meta/disconnect', clientId }]);
    expect((await held).messages[0]?.ext).toEqual({
      timesync: { tc: 1_000_100, ts: 1_000_000, p: 250, a: 5 },
    });
  });

  it('leaves messages without timesync alone', async () => {
    h = await startServer();
    h.bayeux.addExtension(timesyncExtension());
    const { messages } = await post(h.url, [HANDSHAKE]);
    expect(messages[0]?.ext).toBeUndefined();
  });
});

describe('timestampExtension', () => {
  it('formats the Bayeux §3.9 profile YYYY-MM-DDThh:mm:ss.ss in GMT', () => {
    expect(bayeuxTimestamp(Date.UTC(2026, 0, 2, 3, 4, 5, 678))).toBe('2026-01-02T03:04:05.67');
  });

  it('stamps replies and broadcasts (one stamp per broadcast)', async () => {
    h = await startServer();
    h.bayeux.addExtension(timestampExtension({ now: () => Date.UTC(2026, 10, 24, 2, 30, 0, 120) }));
    const { messages } = await post(h.url, [HANDSHAKE]);
    expect(messages[0]?.timestamp).toBe('2026-11-24T02:30:00.12');
    const clientId = messages[0]!.clientId as string;
    await post(h.url, [{ channel: '/meta/subscribe', clientId, subscription: '/t', id: 's' }]);
    await h.bayeux.publish('/t', 1);
    const poll = await post(h.url, [connect(clientId, 'c0')]);
    expect(poll.messages[0]).toEqual({ channel: '/t', data: 1, timestamp: '2026-11-24T02:30:00.12' });
  });
});
