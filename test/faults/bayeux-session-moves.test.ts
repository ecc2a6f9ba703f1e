// Issue 8 item 10: a session's deliveries follow its CURRENT connect. A client id presented from a second
// socket (or an HTTP request) moves the session there; once that socket closes, the session has no
// connect until one arrives, and its messages wait in the queue for it. Before the fix, the first socket kept
// receiving pushes for a session whose current connect was elsewhere (a long-poll held for it meanwhile got
// nothing), and a connect answered at once left an older held connect waiting for its timeout.
import type { Message } from '@pushwire/bayeux';
import { describe, expect, it } from 'vitest';
import { type RawBayeuxWs, useBayeuxHarness } from './bayeux-support.js';
import { within } from './support.js';

const fx = useBayeuxHarness();

const connect = (clientId: string, id: string, connectionType = 'websocket'): Message => ({
  channel: '/meta/connect',
  clientId,
  connectionType,
  id,
});

/** Frames received so far that carry a message on `channel`. */
const pushed = (c: RawBayeuxWs, channel: string): unknown[] => c.data(channel);

describe('deliveries follow the current connect', () => {
  it('websocket -> second websocket that closes: the next message waits for a connect, then rides it', async () => {
    await fx.start({ timeout: 10_000 });
    const first = await fx.ws();
    const clientId = await first.join('/moves');
    const second = await fx.ws();
    second.send([connect(clientId, 'x1')]);
    // The first socket's held connect was replaced by the second's (one outstanding connect, §4.2).
    expect(await first.reply('c1')).toMatchObject({ successful: true });
    await within(
      (async () => {
        while (fx.h.bayeux.heldConnects !== 1) await new Promise((r) => setImmediate(r));
      })(),
      5000,
      'second socket holds the connect',
    );
    await second.end();
    await within(
      (async () => {
        while (fx.h.bayeux.heldConnects !== 0) await new Promise((r) => setImmediate(r));
      })(),
      5000,
      'hold released on close',
    );
    await fx.h.bayeux.publish('/moves', 'after-close');
    // Nothing is pushed to the socket the session left: a server publish round trip later, still nothing.
    await fx.h.bayeux.publish('/other', 'flush');
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(pushed(first, '/moves')).toEqual([]);
    // The first socket connects again: the message rides that connect's reply, in the same frame.
    const before = first.frames.length;
    first.send([connect(clientId, 'c2')]);
    const frame = await first.waitFrame(
      (f) => f.kind === 'messages' && f.messages.some((m) => m.channel === '/moves'),
      'message in the connect reply',
      5000,
      before,
    );
    const messages = (frame as { messages: Message[] }).messages;
    expect(messages.map((m) => m.channel)).toEqual(['/moves', '/meta/connect']);
    expect(messages[0]?.data).toBe('after-close');
    expect(messages[1]).toMatchObject({ id: 'c2', successful: true });
    // From then on pushes go to the first socket again (it holds the session's current connect).
    first.send([connect(clientId, 'c3')]);
    await fx.h.bayeux.publish('/moves', 'pushed');
    await first.waitFrame(
      (f) => f.kind === 'messages' && f.messages.some((m) => m.data === 'pushed'),
      'push to the first socket',
    );
  });

  it('websocket -> long-poll: messages go into the long-poll reply, not to the socket the session left', async () => {
    await fx.start({ timeout: 10_000 });
    const first = await fx.ws();
    const clientId = await first.join('/moves');
    const poll = fetch(`http://127.0.0.1:${fx.h.port}/bayeux`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify([connect(clientId, 'lp1', 'long-polling')]),
    });
    expect(await first.reply('c1')).toMatchObject({ successful: true }); // replaced
    await within(
      (async () => {
        while (fx.h.bayeux.heldConnects !== 1) await new Promise((r) => setImmediate(r));
      })(),
      5000,
      'long-poll held',
    );
    await fx.h.bayeux.publish('/moves', 'to-the-poll');
    const res = await within(poll, 5000, 'long-poll answered by the publish');
    const replies = (await res.json()) as Message[];
    expect(replies.map((m) => [m.channel, m.data ?? m.id])).toEqual([
      ['/moves', 'to-the-poll'],
      ['/meta/connect', 'lp1'],
    ]);
    expect(pushed(first, '/moves')).toEqual([]);
  });

  it('a connect answered at once answers an older held connect at once (no wait for its timeout)', async () => {
    await fx.start({ timeout: 10_000 });
    const first = await fx.ws();
    const clientId = await first.join('/moves');
    const second = await fx.ws();
    // Not alone in its frame: answered at once (CometD canSuspend), and it is now the current connect.
    second.send([{ channel: '/moves', clientId, data: 'hello', id: 'p' }, connect(clientId, 'x1')]);
    expect(await second.reply('x1')).toMatchObject({ successful: true });
    expect(await within(first.reply('c1'), 2000, 'older hold answered')).toMatchObject({ successful: true });
    expect(fx.h.bayeux.heldConnects).toBe(0);
  });
});
