// Malformed Bayeux on the websocket transport: each bad frame must be answered by a clear error (an
// unsuccessful Bayeux reply) or a close code with a reason (RFC 6455 7.4.1), never crash the server, and
// never disturb another client on the same server, which keeps receiving what is published for it.
import type { Message } from '@pushwire/bayeux';
import { encodeFrame, OPCODE } from '@pushwire/websocket';
import { describe, expect, it } from 'vitest';
import { type RawBayeuxWs, useBayeuxHarness } from './bayeux-support.js';
import { until } from './support.js';

const fx = useBayeuxHarness();

/** The bystander still gets a server publish, pushed over its socket. */
async function bystanderStillServed(bystander: RawBayeuxWs, n: number): Promise<void> {
  const seen = bystander.data('/faults/room').length;
  await fx.h.bayeux.publish('/faults/room', { n });
  await bystander.waitFrame(
    () => bystander.data('/faults/room').length > seen,
    `bystander receives publish ${n}`,
  );
  expect(bystander.data('/faults/room').at(-1)).toEqual({ n });
}

type Outcome =
  | { kind: 'close'; code: number; reason: string }
  | { kind: 'reply'; messages: Message[] }
  | { kind: 'dropped' };

/** Sends the bad input on a fresh socket and reports how the server answered. */
async function answerTo(send: (c: RawBayeuxWs) => void, handshakeFirst: boolean): Promise<Outcome> {
  const c = await fx.ws();
  if (handshakeFirst) await c.join('/faults/bad');
  const from = c.frames.length;
  send(c);
  const frame = await c
    .waitFrame(
      (f) => f.kind === 'close' || (f.kind === 'messages' && f.messages.some((m) => m.successful === false)),
      'an answer to the bad frame',
      5000,
      from,
    )
    .catch(() => undefined);
  if (frame === undefined) return { kind: 'dropped' };
  if (frame.kind === 'close') return frame;
  return { kind: 'reply', messages: frame.messages };
}

const MAX_MESSAGES = 20;
const MAX_SIZE = 64 * 1024;

const cases: [string, (c: RawBayeuxWs) => void, (o: Outcome) => void][] = [
  [
    'a text frame that is not JSON',
    (c) => c.sendText('[{"channel": "/meta/connect", '),
    (o) => expect(o).toMatchObject({ kind: 'close', code: 1008, reason: expect.stringMatching(/JSON/i) }),
  ],
  [
    'a binary frame',
    (c) =>
      c.sendRaw(encodeFrame(OPCODE.BINARY, Buffer.from('[{"channel":"/meta/connect"}]'), { mask: true })),
    (o) => expect(o).toMatchObject({ kind: 'close', code: 1003, reason: expect.stringMatching(/.+/) }),
  ],
  [
    'a JSON scalar',
    (c) => c.sendText('42'),
    (o) => expect(o).toMatchObject({ kind: 'close', code: 1008, reason: expect.stringMatching(/.+/) }),
  ],
  [
    'a JSON string',
    (c) => c.sendText('"hello"'),
    (o) => expect(o).toMatchObject({ kind: 'close', code: 1008, reason: expect.stringMatching(/.+/) }),
  ],
  [
    'an empty array',
    (c) => c.sendText('[]'),
    (o) => expect(o).toMatchObject({ kind: 'close', code: 1008, reason: expect.stringMatching(/.+/) }),
  ],
  [
    'null',
    (c) => c.sendText('null'),
    (o) => expect(o).toMatchObject({ kind: 'close', code: 1008, reason: expect.stringMatching(/.+/) }),
  ],
  [
    `a batch of ${MAX_MESSAGES + 1} messages (maxMessagesPerRequest + 1)`,
    (c) =>
      c.send(
        Array.from({ length: MAX_MESSAGES + 1 }, (_, i) => ({ channel: '/faults/x', data: i, id: `b${i}` })),
      ),
    // The bytes bound a request; past the count guard each message gets its own Bayeux error reply.
    (o) => {
      expect(o.kind).toBe('reply');
      const messages = o.kind === 'reply' ? o.messages : [];
      expect(messages).toHaveLength(MAX_MESSAGES + 1);
      expect(messages.at(-1)).toEqual({
        channel: '/faults/x',
        id: `b${MAX_MESSAGES}`,
        successful: false,
        error: `400:${MAX_MESSAGES}:too_many_messages`,
      });
    },
  ],
  [
    'a frame one byte above maxMessageSize',
    (c) => c.sendText(`[{"channel":"/faults/x","data":"${'x'.repeat(MAX_SIZE - 28)}"}]`),
    (o) => expect(o).toMatchObject({ kind: 'close', code: 1009 }),
  ],
  [
    'invalid UTF-8 in a text frame',
    (c) => c.sendRaw(encodeFrame(OPCODE.TEXT, Buffer.from([0x5b, 0xc0, 0xaf, 0x5d]), { mask: true })),
    (o) => expect(o).toMatchObject({ kind: 'close', code: 1007 }),
  ],
  [
    'an unmasked client frame',
    (c) => c.sendRaw(encodeFrame(OPCODE.TEXT, '[{"channel":"/meta/connect"}]')),
    (o) => expect(o).toMatchObject({ kind: 'close', code: 1002 }),
  ],
  [
    'JSON nested 30,000 deep',
    (c) => c.sendText(`${'['.repeat(30_000)}${']'.repeat(30_000)}`),
    (o) =>
      // One bad element of a batch is one bad message (Bayeux §3.14): a reply, the socket stays open.
      expect(o).toEqual({
        kind: 'reply',
        messages: [{ channel: '/meta/unsuccessful', successful: false, error: '400::bad_request' }],
      }),
  ],
  [
    'an array of scalars',
    (c) => c.sendText('[1, "a", null]'),
    (o) =>
      // One bad element of a batch is one bad message (Bayeux §3.14): a reply, the socket stays open.
      expect(o).toEqual({
        kind: 'reply',
        messages: [{ channel: '/meta/unsuccessful', successful: false, error: '400::bad_request' }],
      }),
  ],
];

describe('malformed Bayeux on the websocket transport', () => {
  it.each(cases)('%s: answered clearly, the server and another client unaffected', async (_, send, check) => {
    await fx.start({ maxMessagesPerRequest: MAX_MESSAGES, maxMessageSize: MAX_SIZE });
    const bystander = await fx.ws();
    await bystander.join('/faults/room');
    for (const handshakeFirst of [false, true]) {
      const outcome = await answerTo(send, handshakeFirst);
      check(outcome);
      await bystanderStillServed(bystander, handshakeFirst ? 2 : 1);
    }
    expect(bystander.ended).toBe(false);
  });

  it('a publish whose data is nested 30,000 deep: an answer either way, subscribers and server fine', async () => {
    await fx.start();
    const bystander = await fx.ws();
    await bystander.join('/faults/room');
    const c = await fx.ws();
    const clientId = await c.join('/faults/deep');
    const depth = 30_000;
    c.sendText(
      `[{"channel":"/faults/deep","clientId":"${clientId}","id":"deep","data":${'['.repeat(depth)}${']'.repeat(depth)}}]`,
    );
    // Delivered (to itself, a subscriber) or refused with an error: both are answers, a crash is not.
    const reply = await c.reply('deep');
    expect(typeof reply.successful).toBe('boolean');
    if (reply.successful === false) expect(typeof reply.error).toBe('string');
    await bystanderStillServed(bystander, 3);
  });

  it('messages that are objects but not Bayeux get unsuccessful replies; the socket stays open', async () => {
    await fx.start();
    const bystander = await fx.ws();
    await bystander.join('/faults/room');
    const c = await fx.ws();
    const clientId = await c.join('/faults/bad');
    c.send([
      { id: 'p1' } as Message, // no channel
      { channel: '/meta/nope', clientId, id: 'p2' },
      { channel: '/faults/**', clientId, data: 1, id: 'p3' }, // publish to a wildcard
      { channel: '/faults/x', clientId, id: 'p4' }, // publish without data
      { channel: '/meta/subscribe', clientId, subscription: 'not-a-channel', id: 'p5' },
      JSON.parse('{"channel":"/faults/x","clientId":"nobody","data":1,"id":"p6","__proto__":{"x":1}}'),
    ]);
    for (const id of ['p2', 'p3', 'p4', 'p5', 'p6']) {
      const reply = await c.reply(id);
      expect(reply.successful, id).toBe(false);
      expect(typeof reply.error, id).toBe('string');
    }
    expect(c.ended).toBe(false);
    await bystanderStillServed(bystander, 7);
  });

  it('100 bad sockets in a row leave no client behind (engine clientCount back to the bystander)', async () => {
    await fx.start({ maxMessagesPerRequest: MAX_MESSAGES });
    const bystander = await fx.ws();
    await bystander.join('/faults/room');
    for (let i = 0; i < 100; i++) {
      const c = await fx.ws();
      if (i % 2 === 0) {
        const clientId = await c.join('/faults/bad');
        c.send([{ channel: '/meta/disconnect', clientId, id: 'd' }]);
        await c.reply('d');
      }
      c.sendText(i % 4 < 2 ? 'not json' : '7');
      await c.closed();
      await c.end();
      fx.untrack(c);
    }
    await until(
      () => fx.h.serverSockets.filter((s) => !s.destroyed).length === 1,
      5000,
      'server sockets closed',
    );
    expect(await fx.h.bayeux.engine.clientCount()).toBe(1);
    await bystanderStillServed(bystander, 9);
    // Heavier than most: its own bound, so a loaded CI machine does not trip the 20 s default.
  }, 60_000);
});
