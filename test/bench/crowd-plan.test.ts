// The crowd bench's pure parts (bench/crowd/plan.ts): splitting a crowd into processes and source
// addresses, the file-descriptor and memory checks, and the aggregation of memory and deliveries.
import { describe, expect, it } from 'vitest';
import {
  CROWD_LIMITS,
  deliverySummary,
  deliveryTimeoutMs,
  evenSplit,
  fdProblem,
  infoField,
  memoryFigures,
  memoryProblem,
  parseMemAvailable,
  parseOpenFilesLimit,
  parseVmRss,
  planCrowd,
  rampDeadlineMs,
  serverOf,
  sourceAddress,
} from '../../bench/crowd/plan.js';

describe('evenSplit', () => {
  it('splits into counts that differ by at most one, the first ones taking the remainder', () => {
    expect(evenSplit(10, 3)).toEqual([4, 3, 3]);
    expect(evenSplit(9, 3)).toEqual([3, 3, 3]);
    expect(evenSplit(2, 4)).toEqual([1, 1, 0, 0]);
    expect(evenSplit(0, 2)).toEqual([0, 0]);
  });
  it('refuses nonsense', () => {
    expect(() => evenSplit(10, 0)).toThrow(RangeError);
    expect(() => evenSplit(-1, 2)).toThrow(RangeError);
    expect(() => evenSplit(1.5, 2)).toThrow(RangeError);
  });
});

describe('planCrowd', () => {
  it('100,000 clients: 6 servers and 6 generators, none above PER_PROCESS, 25 source addresses', () => {
    const p = planCrowd(100_000);
    expect(p.servers).toEqual([16_667, 16_667, 16_667, 16_667, 16_666, 16_666]);
    expect(p.generators.map((g) => g.count)).toEqual(p.servers);
    expect(p.addresses).toBe(25);
    expect(p.generators.map((g) => g.first)).toEqual([0, 16_667, 33_334, 50_001, 66_668, 83_334]);
    expect(p.generators.reduce((a, g) => a + g.inflight, 0)).toBe(CROWD_LIMITS.INFLIGHT);
  });

  it('crosses PER_PROCESS by one: 18,000 fits one process, 18,001 needs two', () => {
    expect(planCrowd(CROWD_LIMITS.PER_PROCESS).servers).toEqual([18_000]);
    const two = planCrowd(CROWD_LIMITS.PER_PROCESS + 1);
    expect(two.servers).toEqual([9001, 9000]);
    expect(two.generators.map((g) => g.count)).toEqual([9001, 9000]);
  });

  it('crosses PER_ADDRESS by one, and keeps at least MIN_ADDRESSES', () => {
    const limits = { perProcess: 18_000, perAddress: 4000, inflight: 256 };
    expect(planCrowd(32_000, limits).addresses).toBe(8);
    expect(planCrowd(32_001, limits).addresses).toBe(9);
    expect(planCrowd(10, limits).addresses).toBe(8);
    expect(planCrowd(3, limits).addresses).toBe(3);
  });

  it("every generator's per-server counts match the round-robin deal and sum to the servers' shares", () => {
    for (const clients of [1, 7, 10_000, 36_001, 100_000, 123_457]) {
      const p = planCrowd(clients, { perProcess: 5000, perAddress: 4000, inflight: 64 });
      const servers = p.servers.length;
      const expected: number[] = new Array<number>(servers).fill(0);
      for (const g of p.generators) {
        const mine: number[] = new Array<number>(servers).fill(0);
        for (let k = g.first; k < g.first + g.count; k++) {
          const s = serverOf(k, servers);
          mine[s] = (mine[s] ?? 0) + 1;
        }
        expect(g.perServer).toEqual(mine);
        for (let s = 0; s < servers; s++) expected[s] = (expected[s] ?? 0) + (mine[s] ?? 0);
      }
      expect(expected).toEqual(p.servers);
      expect(p.generators.reduce((a, g) => a + g.count, 0)).toBe(clients);
      expect(Math.max(...p.servers)).toBeLessThanOrEqual(5000);
      expect(Math.max(...p.generators.map((g) => g.count))).toBeLessThanOrEqual(5000);
    }
  });

  it('no source address carries more than PER_ADDRESS clients', () => {
    const p = planCrowd(100_000);
    const per = new Map<string, number>();
    for (let k = 0; k < p.clients; k++) {
      const a = sourceAddress(k, p.addresses);
      per.set(a, (per.get(a) ?? 0) + 1);
    }
    expect(per.size).toBe(25);
    expect(Math.max(...per.values())).toBeLessThanOrEqual(CROWD_LIMITS.PER_ADDRESS);
    expect([...per.keys()].sort()).toContain('127.0.0.2');
    expect([...per.keys()]).toContain('127.0.0.26');
    expect(per.has('127.0.0.1')).toBe(false);
  });

  it('refuses crowds above MAX_CLIENTS, and more addresses than 127.0.0.x has', () => {
    expect(() => planCrowd(CROWD_LIMITS.MAX_CLIENTS + 1)).toThrow(/MAX_CLIENTS/);
    expect(() => planCrowd(0)).toThrow(RangeError);
    expect(() => planCrowd(254 * 100, { perProcess: 18_000, perAddress: 100, inflight: 8 })).toThrow(
      /source addresses/,
    );
    expect(planCrowd(253 * 100, { perProcess: 18_000, perAddress: 100, inflight: 8 }).addresses).toBe(253);
  });

  it('gives every generator at least one handshake in flight', () => {
    const p = planCrowd(100_000, { perProcess: 18_000, perAddress: 4000, inflight: 1 });
    expect(p.generators.every((g) => g.inflight >= 1)).toBe(true);
  });
});

describe('limits of the machine', () => {
  it('fdProblem crosses the limit by one', () => {
    const need = 18_000 + CROWD_LIMITS.FD_MARGIN;
    expect(fdProblem('gen-0', 18_000, need)).toBeNull();
    expect(fdProblem('gen-0', 18_000, need - 1)).toMatch(/gen-0: needs 18500 open files .* limit is 18499/);
    expect(fdProblem('gen-0', 18_000, Number.NaN)).toMatch(/limit is NaN/);
    expect(fdProblem('gen-0', 18_000, Number.POSITIVE_INFINITY)).toBeNull();
  });

  it('reads the soft open-files limit from /proc/<pid>/limits', () => {
    const text =
      'Limit                     Soft Limit           Hard Limit           Units     \n' +
      'Max processes             95000                95000                processes \n' +
      'Max open files            20000                20000                files     \n';
    expect(parseOpenFilesLimit(text)).toBe(20_000);
    expect(
      parseOpenFilesLimit('Max open files            unlimited            unlimited            files'),
    ).toBe(Number.POSITIVE_INFINITY);
    expect(parseOpenFilesLimit('')).toBeNaN();
  });

  it('memoryProblem: within budget and half of what is available, else a message', () => {
    const per = CROWD_LIMITS.EST_BYTES_PER_CLIENT;
    expect(memoryProblem(100_000, 100_000 * per * 2)).toBeNull();
    expect(memoryProblem(100_000, 100_000 * per * 2 - 2)).toMatch(/only .* available/);
    const over = Math.floor(CROWD_LIMITS.MEMORY_BUDGET_BYTES / per) + 1;
    expect(memoryProblem(over, Number.POSITIVE_INFINITY)).toMatch(/budget/);
    expect(memoryProblem(10, Number.NaN)).toMatch(/available/);
  });

  it('parses VmRSS, MemAvailable and Redis INFO fields', () => {
    expect(parseVmRss('Name:\tnode\nVmRSS:\t  123456 kB\n')).toBe(123_456 * 1024);
    expect(parseVmRss('')).toBeNaN();
    expect(parseMemAvailable('MemTotal:       24000000 kB\nMemAvailable:   20000000 kB\n')).toBe(
      20_000_000 * 1024,
    );
    const info = '# Memory\r\nused_memory:1048576\r\nused_memory_human:1.00M\r\nused_memory_rss:2000\r\n';
    expect(infoField(info, 'used_memory')).toBe(1_048_576);
    expect(infoField(info, 'used_memory_rss')).toBe(2000);
    expect(infoField(info, 'maxmemory')).toBeNaN();
  });

  it('the ramp deadline grows with the crowd', () => {
    expect(rampDeadlineMs(10_000)).toBe(210_000);
    expect(rampDeadlineMs(100_000)).toBe(1_560_000);
    expect(deliveryTimeoutMs(100_000)).toBe(360_000);
    expect(rampDeadlineMs(100_000, { BENCH_CROWD_RAMP_S: '600' })).toBe(600_000);
    expect(rampDeadlineMs(100_000, { BENCH_CROWD_RAMP_S: 'x' })).toBe(1_560_000);
  });
});

describe('aggregation', () => {
  it('memory per client per node, and over all nodes weighted by clients', () => {
    const f = memoryFigures([
      { clients: 1000, heapBefore: 10e6, heapAfter: 20e6, rssBefore: 50e6, rssAfter: 80e6 },
      { clients: 3000, heapBefore: 10e6, heapAfter: 40e6, rssBefore: 50e6, rssAfter: 110e6 },
    ]);
    expect(f.nodes).toEqual([
      { clients: 1000, heapPerClient: 10_000, rssPerClient: 30_000 },
      { clients: 3000, heapPerClient: 10_000, rssPerClient: 20_000 },
    ]);
    expect(f.all).toEqual({ clients: 4000, heapPerClient: 10_000, rssPerClient: 22_500 });
    expect(
      memoryFigures([{ clients: 0, heapBefore: 1, heapAfter: 2, rssBefore: 1, rssAfter: 2 }]).all
        .heapPerClient,
    ).toBeNaN();
  });

  it('deliveries: all only when every connected client got it exactly once; time to the last receipt', () => {
    const ok = deliverySummary(
      [
        { connected: 10, received: 10, deliveries: 10, lastAt: 1500 },
        { connected: 5, received: 5, deliveries: 5, lastAt: 1800 },
      ],
      1000,
    );
    expect(ok).toEqual({ connected: 15, received: 15, duplicates: 0, all: true, ms: 800 });
    const missing = deliverySummary(
      [
        { connected: 10, received: 9, deliveries: 9, lastAt: 1500 },
        { connected: 5, received: 0, deliveries: 0, lastAt: Number.NaN },
      ],
      1000,
    );
    expect(missing).toMatchObject({ received: 9, all: false, ms: 500 });
    const twice = deliverySummary([{ connected: 2, received: 2, deliveries: 3, lastAt: 1001 }], 1000);
    expect(twice).toMatchObject({ all: false, duplicates: 1 });
    expect(
      deliverySummary([{ connected: 0, received: 0, deliveries: 0, lastAt: Number.NaN }], 0),
    ).toMatchObject({
      all: false,
    });
  });
});
