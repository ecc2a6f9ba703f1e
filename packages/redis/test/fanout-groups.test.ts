// How a publish splits its recipients into script calls (queues.ts fanoutGroups, issue 12): at most
// FANOUT_BATCH per call, and on a Redis Cluster only clients of one slot per call (a script may only touch
// keys of one slot), every recipient exactly once, in the order given within a slot.

import { describe, expect, it } from 'vitest';
import { Keys } from '../src/keys.js';
import { keySlot } from '../src/keyslot.js';
import { FANOUT_BATCH, fanoutGroups } from '../src/queues.js';

const ids = (n: number) => Array.from({ length: n }, (_, i) => `c${i}`);

describe('fanoutGroups', () => {
  it('one Redis server: slices of FANOUT_BATCH, in order', () => {
    const all = ids(2 * FANOUT_BATCH + 1);
    const groups = fanoutGroups(all);
    expect(groups.map((g) => g.length)).toEqual([FANOUT_BATCH, FANOUT_BATCH, 1]);
    expect(groups.flat()).toEqual(all);
    expect(fanoutGroups([])).toEqual([]);
  });

  it('a Cluster: one slot per group, at most FANOUT_BATCH, each id once, order kept within a slot', () => {
    const all = ids(3 * FANOUT_BATCH);
    // Three slots, the third holding more than one call takes.
    const slotOf = (id: string) => [7, 7, 9, 11, 11, 11][Number(id.slice(1)) % 6] as number;
    const groups = fanoutGroups(all, slotOf);
    for (const g of groups) {
      expect(g.length).toBeLessThanOrEqual(FANOUT_BATCH);
      expect(new Set(g.map(slotOf)).size).toBe(1);
    }
    expect(groups.flat().sort()).toEqual([...all].sort());
    const ofSlot11 = groups.filter((g) => slotOf(g[0] as string) === 11);
    expect(ofSlot11.map((g) => g.length)).toEqual([FANOUT_BATCH, FANOUT_BATCH / 2]);
    expect(ofSlot11.flat()).toEqual(all.filter((id) => slotOf(id) === 11));
  });

  it('with the real key slots, every group is one slot of the client keys (what ClusterPort checks)', () => {
    const keys = new Keys('p');
    const all = ids(20_000);
    const groups = fanoutGroups(all, (id) => keySlot(keys.client(id)));
    for (const g of groups) {
      const slots = new Set(g.flatMap((id) => [keySlot(keys.client(id)), keySlot(keys.queue(id))]));
      expect(slots.size).toBe(1);
    }
    expect(groups.flat().length).toBe(all.length);
    // 20,000 clients on 16,384 slots: some slots hold several, so calls are fewer than clients.
    expect(groups.length).toBeLessThan(all.length);
  });
});
