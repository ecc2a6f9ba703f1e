// HeldConnects (the registry) and HeldConnect (hold.ts): one hold per client, per-browser counts, release on
// a newer connect, on the transport going away, and on server close.
import type { Message } from '@pushwire/bayeux';
import { describe, expect, it } from 'vitest';
import { holdConnect } from '../src/hold.js';
import { coreWith } from './helpers/core.js';
import { TestEngine } from './helpers/test-engine.js';

const connect = (id: string): Message => ({
  channel: '/meta/connect',
  clientId: id,
  connectionType: 'long-polling',
  id,
});
const parse = (encoded: string[]): Message[] => encoded.map((e) => JSON.parse(e) as Message);

describe('held connects', () => {
  it('a newer hold releases the older one as replaced; an aborted request is released as replaced', async () => {
    const core = coreWith(new TestEngine());
    const advice = { reconnect: 'retry' as const };
    const first = holdConnect(core, {
      message: connect('1'),
      ctx: { transport: 'long-polling', browserId: 'b' },
      clientId: 'a',
      advice,
      timeoutMs: 10_000,
    });
    expect(await core.engine.browserHolds('b', 'x')).toBe(1);
    expect(await core.engine.browserHolds('b', 'a')).toBe(0);
    const abort = new AbortController();
    const second = holdConnect(core, {
      message: connect('2'),
      ctx: { transport: 'long-polling', browserId: 'b', signal: abort.signal },
      clientId: 'a',
      advice,
      timeoutMs: 10_000,
    });
    // Replaced: the connect reply alone, successful (the client's newer connect carries on).
    expect(parse(await first)).toEqual([
      { channel: '/meta/connect', id: '1', clientId: 'a', successful: true, advice },
    ]);
    expect(await core.engine.browserHolds('b', 'x')).toBe(1);
    abort.abort();
    expect(parse(await second)).toMatchObject([{ id: '2', successful: true }]);
    expect(core.held.count).toBe(0);
    expect(await core.engine.browserHolds('b', 'x')).toBe(0);
  });

  it('a websocket hold is not counted per browser', async () => {
    const core = coreWith(new TestEngine());
    const held = holdConnect(core, {
      message: connect('1'),
      ctx: { transport: 'websocket', browserId: 'b' },
      clientId: 'a',
      advice: {},
      timeoutMs: 10_000,
    });
    expect(core.held.isHeld('a')).toBe(true);
    expect(await core.engine.browserHolds('b', 'x')).toBe(0);
    core.held.release('a', 'timeout');
    expect(parse(await held)).toMatchObject([{ id: '1', successful: true }]);
  });

  it('releaseAll answers every hold', async () => {
    const core = coreWith(new TestEngine());
    const held = ['a', 'b'].map((id) =>
      holdConnect(core, {
        message: connect(id),
        ctx: { transport: 'long-polling' },
        clientId: id,
        advice: {},
        timeoutMs: 10_000,
      }),
    );
    core.held.releaseAll('closing');
    const replies = (await Promise.all(held)).map(parse);
    // A shared engine (ownsEngine false) keeps the sessions: retry.
    expect(replies).toMatchObject([
      [{ id: 'a', successful: true, advice: { reconnect: 'retry' } }],
      [{ id: 'b', successful: true, advice: { reconnect: 'retry' } }],
    ]);
    expect(core.held.count).toBe(0);
  });
});
