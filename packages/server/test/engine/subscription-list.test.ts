// The memory engine keeps a client's subscriptions as nothing, one pattern, or a Set of two or more
// (issue 13: a Set per idle client cost ~180 B). The list must grow from one to many and back correctly,
// and the engine built on it must route, count (maxSubscriptions) and forget exactly as with a Set.
import { RecordingSink } from '@pushwire/server/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryEngine, type MemoryEngine } from '../../src/engine/memory-engine.js';
import { MessageQueue } from '../../src/engine/message-queue.js';
import {
  hasSubscription,
  type SubscriptionList,
  subscriptionCount,
  subscriptionPatterns,
  withoutSubscription,
  withSubscription,
} from '../../src/engine/subscription-list.js';

describe('SubscriptionList', () => {
  it('grows from none to one (a string) to many (a Set) and back to one and none', () => {
    let list: SubscriptionList;
    expect(subscriptionCount(list)).toBe(0);
    list = withSubscription(list, '/a');
    expect(list).toBe('/a');
    expect(hasSubscription(list, '/a')).toBe(true);
    expect(hasSubscription(list, '/b')).toBe(false);
    list = withSubscription(list, '/b');
    list = withSubscription(list, '/c');
    expect(list).toBeInstanceOf(Set);
    expect(subscriptionCount(list)).toBe(3);
    expect(subscriptionPatterns(list)).toEqual(['/a', '/b', '/c']);
    list = withoutSubscription(list, '/x'); // not there: unchanged
    expect(subscriptionCount(list)).toBe(3);
    list = withoutSubscription(list, '/a');
    expect(list).toBeInstanceOf(Set);
    list = withoutSubscription(list, '/c');
    expect(list).toBe('/b'); // back to one: the Set is gone
    list = withoutSubscription(list, '/a');
    expect(list).toBe('/b');
    list = withoutSubscription(list, '/b');
    expect(list).toBeUndefined();
    expect(subscriptionPatterns(list)).toEqual([]);
  });

  it('adding the one pattern again keeps a single string', () => {
    expect(withSubscription('/a', '/a')).toBe('/a');
  });
});

describe('MemoryEngine with one, many, then one subscription again', () => {
  const engines: MemoryEngine[] = [];
  afterEach(async () => {
    for (const e of engines.splice(0)) await e.close();
  });

  it('routes, counts against maxSubscriptions and forgets exactly through every size', async () => {
    const engine = createMemoryEngine({ maxSubscriptions: 3 });
    engines.push(engine);
    const sink = new RecordingSink();
    engine.setSink(sink);
    const id = await engine.createClient();
    const publishTo = (channel: string) =>
      engine.publish({ channel, data: channel }, JSON.stringify({ channel }));

    expect(await engine.subscribe(id, '/one')).toEqual({ ok: true });
    expect(await publishTo('/one')).toBe(1);
    expect(await engine.subscribe(id, '/two/*')).toEqual({ ok: true });
    expect(await engine.subscribe(id, '/three/**')).toEqual({ ok: true });
    // maxSubscriptions crossed by one; a repeat of one held is not a new one.
    expect(await engine.subscribe(id, '/four')).toEqual({ ok: false, reason: 'too-many-subscriptions' });
    expect(await engine.subscribe(id, '/one')).toEqual({ ok: true });
    expect(await engine.subscriptions(id)).toEqual(['/one', '/two/*', '/three/**']);
    expect(await publishTo('/two/x')).toBe(1);
    expect(await publishTo('/three/x/y')).toBe(1);

    expect(await engine.unsubscribe(id, '/one')).toBe(true);
    expect(await engine.unsubscribe(id, '/one')).toBe(false);
    expect(await engine.unsubscribe(id, '/two/*')).toBe(true);
    expect(await engine.subscriptions(id)).toEqual(['/three/**']);
    expect(await publishTo('/one')).toBe(0);
    expect(await publishTo('/two/x')).toBe(0);
    expect(await publishTo('/three/z')).toBe(1);
    // Room again for three.
    expect(await engine.subscribe(id, '/five')).toEqual({ ok: true });
    expect(await engine.subscribe(id, '/six')).toEqual({ ok: true });
    expect(await engine.subscribe(id, '/seven')).toEqual({ ok: false, reason: 'too-many-subscriptions' });

    const queued = await engine.takeQueue(id);
    expect(queued.map((m) => (JSON.parse(m) as { channel: string }).channel)).toEqual([
      '/one',
      '/two/x',
      '/three/x/y',
      '/three/z',
    ]);
    // Destroying the client leaves no subscriber behind on any pattern.
    await engine.destroyClient(id, 'disconnect');
    expect(await publishTo('/three/q')).toBe(0);
    expect(await publishTo('/five')).toBe(0);
  });

  it('an emptied queue goes and a new message makes a new one (nothing lost, order kept)', async () => {
    const engine = createMemoryEngine();
    engines.push(engine);
    const id = await engine.createClient();
    expect(engine.queuedSync(id)).toBe(0);
    expect(await engine.takeQueue(id)).toEqual([]);
    await engine.deliver(id, ['"a"', '"b"']);
    expect(await engine.takeQueue(id, 3)).toEqual(['"a"']);
    expect(engine.queuedSync(id)).toBe(1);
    expect(await engine.takeQueue(id)).toEqual(['"b"']);
    expect(engine.queuedSync(id)).toBe(0);
    await engine.requeue(id, ['"b"']);
    await engine.deliver(id, ['"c"']);
    const taken = await engine.takeQueue(id);
    expect(taken).toEqual(['"b"', '"c"']);
    // What a take hands out is the caller's to extend (a connect reply is pushed onto it).
    const empty = await engine.takeQueue(id);
    empty.push('reply');
    expect(await engine.takeQueue(id)).toEqual([]);
  });
});

describe('MessageQueue without arrays until the first push', () => {
  it('drains a never-used or emptied queue into a fresh array, and fills again after', () => {
    const q = new MessageQueue();
    const first = q.drain();
    first.push('mine');
    expect(q.drain()).toEqual([]);
    expect(q.take(10)).toEqual([]);
    expect(q.oldestSize()).toBeUndefined();
    q.unshift(['x'], [1]);
    q.push('y', 1);
    expect(q.drain()).toEqual(['x', 'y']);
    const again = q.drain();
    again.push('also mine');
    q.push('z', 2);
    expect(q.length).toBe(1);
    expect(q.bytes).toBe(2);
    expect(q.take(10)).toEqual(['z']);
  });
});
