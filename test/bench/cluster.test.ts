// The cluster bench's pure parts (bench/cluster): clients spread round-robin over the nodes (rooms span
// nodes), CPU figures per step, medians over rounds (a round that sustained nothing counts 0), the
// highest step all contenders delivered in full, and the scale-out rows with issue 12's 1.7x target.
import { describe, expect, it } from 'vitest';
import {
  type ClusterRun,
  type ClusterStep,
  commonFullStep,
  medianSteps,
  stepCpu,
  summarise,
} from '../../bench/cluster/aggregate.js';
import { clusterPlan, stepBudgetMs } from '../../bench/cluster/plan.js';
import { commandDelta, parseCommandStats } from '../../bench/cluster/redis-server.js';
import {
  projectedCapacity,
  SCALE_TARGET,
  type Summaries,
  scaleRows,
  versusRows,
} from '../../bench/cluster/rows.js';
import { nodeFor, roomsSpanningNodes, spreadCounts } from '../../bench/cluster/spread.js';
import { renderTable } from '../../bench/lib/table.js';

function step(target: number, over: Partial<ClusterStep> = {}, impl = 'pushwire'): ClusterStep {
  return {
    target,
    published: target / 10,
    expected: target,
    received: target,
    fraction: 1,
    rate: target,
    p50: 2,
    p99: 10,
    errors: 0,
    loadCpu: 5,
    perResponse: 1,
    serverCpu: 20,
    perCpuSecond: 5000,
    nodeCpu: [20],
    redisCpu: 5,
    perTotalCpuSecond: 4000,
    redisCommandsPerDelivery: impl === 'faye' ? 7 : 13,
    ...over,
  };
}

const quiet = { before: 0.5, after: 1.5, foreign: 0.1, quiet: true };
const run = (
  impl: string,
  nodes: number,
  steps: ClusterStep[],
  extra: Partial<ClusterRun> = {},
): ClusterRun => ({
  impl,
  nodes,
  clients: 1000,
  steps,
  load: quiet,
  ...extra,
});

describe('spreading clients over nodes', () => {
  it('is round-robin by client index', () => {
    expect([0, 1, 2, 3, 4, 5, 6].map((i) => nodeFor(i, 3))).toEqual([0, 1, 2, 0, 1, 2, 0]);
    expect(nodeFor(41, 1)).toBe(0);
    expect(spreadCounts(100, 3)).toEqual([34, 33, 33]);
    expect(spreadCounts(1000, 2)).toEqual([500, 500]);
    expect(spreadCounts(5, 1)).toEqual([5]);
  });

  it('makes every room of 10 span nodes once there are 2 or more (no stickiness)', () => {
    expect(roomsSpanningNodes(1000, 10, 1)).toBe(0);
    expect(roomsSpanningNodes(1000, 10, 2)).toBe(100);
    expect(roomsSpanningNodes(1000, 10, 3)).toBe(100);
    // A last room of one client cannot span anything.
    expect(roomsSpanningNodes(21, 10, 2)).toBe(2);
  });

  it('rejects a node count or an index that makes no sense', () => {
    expect(() => nodeFor(0, 0)).toThrow(RangeError);
    expect(() => nodeFor(-1, 2)).toThrow(RangeError);
    expect(() => nodeFor(1.5, 2)).toThrow(RangeError);
  });
});

describe('CPU figures of a step', () => {
  it('gives each node and Redis in % of one core and deliveries per CPU-second of nodes + Redis', () => {
    // 4 s step; nodes used 1 s and 0.6 s; Redis 0.4 s; 10,000 deliveries.
    const c = stepCpu(10_000, 4000, [1_000_000, 600_000], 0.4);
    expect(c.nodeCpu).toEqual([25, 15]);
    expect(c.redisCpu).toBe(10);
    expect(c.serverCpu).toBe(40);
    expect(c.perCpuSecond).toBe(6250); // 10,000 / 1.6 s (nodes only)
    expect(c.perTotalCpuSecond).toBe(5000); // 10,000 / 2 s (nodes + Redis)
  });

  it('is NaN, not infinite, when nothing was measured', () => {
    const c = stepCpu(10, 0, [0], 0);
    expect(c.redisCpu).toBeNaN();
    expect(c.perTotalCpuSecond).toBeNaN();
  });
});

describe('medians over rounds', () => {
  it('takes the median per step and the sustained figures per round', () => {
    const a = run('pushwire', 2, [step(1000), step(2000, { p99: 20, redisCpu: 8 }), step(5000, { p99: 80 })]);
    const b = run('pushwire', 2, [step(1000), step(2000, { p99: 30, redisCpu: 12 })]);
    const c = run('pushwire', 2, [step(1000), step(2000, { p99: 90 })]);
    const s = summarise([a, b, c]);
    // Sustained per round: 2000, 2000, 1000 (the 2000 step of c has p99 90 ms) -> median 2000.
    expect(s?.sustained).toBe(2000);
    expect(s?.p99).toBe(20); // median of 20, 30 (round a and b) and 10 (round c at 1000)
    // The 5000 step only one round reached is left out of the per-step medians.
    expect(medianSteps([a, b, c]).map((x) => x.target)).toEqual([1000, 2000]);
    expect(s?.load?.quiet).toBe(true);
  });

  it('counts a round that sustained nothing as 0, and a lost message makes a step unsustained', () => {
    const lost = run('faye', 1, [step(1000, { received: 999 })]);
    const none = run('faye', 1, [step(1000, { p99: 51 })]);
    const ok = run('faye', 1, [step(1000)]);
    expect(summarise([lost, none, ok])?.sustained).toBeNull(); // median of 0, 0, 1000 is 0: null
    expect(summarise([lost, ok, ok])?.sustained).toBe(1000);
    expect(summarise([run('faye', 1, [step(1000, { errors: 1 })])])?.sustained).toBeNull();
  });

  it('keeps a failed round visible (error) and out of the medians', () => {
    const s = summarise([
      run('faye', 3, [], { error: 'faye-redis: connection refused' }),
      run('faye', 3, [step(1000)]),
    ]);
    expect(s?.error).toContain('connection refused');
    expect(s?.sustained).toBe(1000);
    expect(summarise([])).toBeNull();
  });

  it('finds the highest offered rate every contender delivered in full', () => {
    const o = summarise([run('pushwire', 1, [step(1000), step(2000), step(5000)])]);
    const p = summarise([run('faye', 1, [step(1000), step(2000), step(5000, { received: 4000 })])]);
    expect(commonFullStep([o, p])).toBe(2000);
    expect(commonFullStep([o, null])).toBeNull();
    expect(commonFullStep([])).toBeNull();
  });
});

describe('tables', () => {
  const all: Summaries = {
    pushwire: {
      1: summarise([run('pushwire', 1, [step(1000), step(2000)])]),
      2: summarise([
        run('pushwire', 2, [
          step(1000),
          step(2000),
          step(5000, { nodeCpu: [40, 50], perTotalCpuSecond: 3000 }),
        ]),
      ]),
    },
    faye: {
      1: summarise([run('faye', 1, [step(1000)])]),
      2: summarise([run('faye', 2, [step(1000, {}, 'faye'), step(2000, { p99: 70 }, 'faye')])]),
    },
  };

  it('scale-out: N nodes over 1 node, with the 1.7x target on ours at 2 nodes only', () => {
    const rows = scaleRows(all, 'pushwire', 'ours', [1, 2, 3], true);
    const sustainedRow = rows.find(
      (r) => r.scenario === 'ours: 2 nodes vs 1 node' && r.metric.startsWith('sustained'),
    );
    expect(sustainedRow).toMatchObject({ ours: 5000, peer: 2000, target: SCALE_TARGET });
    expect(SCALE_TARGET).toBe(1.7);
    const table = renderTable(rows, '1 node', 'N nodes');
    expect(table).toContain('| scenario | metric | N nodes | 1 node |');
    expect(table).toContain('| 2.50x | >= 1.7x | load 0.5/1.5 others 0.10 cores | met |');
    // Per CPU-second at the sustained step: 3000 at 2 nodes vs 4000 at 1 node.
    expect(table).toContain('| 3,000 | 4,000 | 0.75x |');
    // No 3-node run: its rows show n/a rather than vanish.
    const three = rows.filter((r) => r.scenario.startsWith('ours: 3 nodes'));
    expect(three).toHaveLength(3);
    const measured = three.filter((r) => !r.metric.startsWith('projected'));
    expect(measured.every((r) => r.ours === null && r.peer !== null)).toBe(true);
    // Without a 3-node run there is no common offered rate, so no projection on either side.
    expect(three.find((r) => r.metric.startsWith('projected'))).toMatchObject({ ours: null, peer: null });
    expect(scaleRows(all, 'faye', 'faye-redis', [1, 2], false).every((r) => r.target === undefined)).toBe(
      true,
    );
  });

  it('projects capacity from CPU per delivery at the highest rate both delivered in full', () => {
    // 2000/s at 20 % of a core on one node -> 10,000/s per core; Redis 5 % -> 40,000/s: nodes bound it.
    expect(projectedCapacity(step(2000))).toBe(10_000);
    // Two nodes at 40 % and 50 %: 0.9 cores for 2000/s -> 2 cores carry 4,444/s; Redis at 20 % caps 10,000.
    expect(projectedCapacity(step(2000, { nodeCpu: [40, 50], redisCpu: 20 }))).toBe(4444);
    // Redis is the bound when it costs more than the nodes: 2000/s at 50 % of a core -> 4,000/s.
    expect(projectedCapacity(step(2000, { nodeCpu: [10, 10], redisCpu: 50 }))).toBe(4000);
    // A step that lost messages, or one without CPU figures, projects nothing.
    expect(projectedCapacity(step(2000, { received: 1999 }))).toBeNull();
    expect(projectedCapacity(step(2000, { nodeCpu: [0] }))).toBeNull();
    expect(projectedCapacity(undefined)).toBeNull();
    const rows = scaleRows(all, 'pushwire', 'ours', [1, 2], true);
    const projected = rows.find((r) => r.metric.startsWith('projected capacity'));
    // 1 and 2 nodes both delivered 2000/s in full: the 2-node step there is step(2000) with one node's
    // figures in this fixture, so both sides project 10,000/s; no target on a model.
    expect(projected).toMatchObject({ ours: 10_000, peer: 10_000 });
    expect(projected?.metric).toContain('at 2000/s offered');
    expect(projected?.target).toBeUndefined();
  });

  it('scale-out under load never says met', () => {
    const busy: Summaries = {
      pushwire: {
        1: {
          ...(all.pushwire?.[1] as NonNullable<Summaries[string][number]>),
          load: { before: 9, after: 10, quiet: false },
        },
        2: all.pushwire?.[2] ?? null,
      },
    };
    const table = renderTable(scaleRows(busy, 'pushwire', 'ours', [1, 2], true), '1 node', 'N nodes');
    expect(table).toContain('looks met, taken under load: not a result');
    expect(table).not.toMatch(/\| met \|/);
  });

  it('ours vs faye-redis per node count: the same-load rows carry a ratio, the own-step CPU rows do not', () => {
    const rows = versusRows(all, [1, 2], 'pushwire', 'faye', 'faye-redis');
    const two = rows.filter((r) => r.scenario.includes('2 nodes'));
    expect(two.find((r) => r.metric.startsWith('sustained'))).toMatchObject({ ours: 5000, peer: 1000 });
    const same = two.find((r) => r.metric.startsWith('deliveries per CPU-second (nodes + Redis) at 2000/s'));
    expect(same).toMatchObject({ ours: 4000, peer: 4000, higherIsBetter: true });
    const cmds = two.find((r) => r.metric.startsWith('Redis commands per delivery at 2000/s'));
    expect(cmds).toMatchObject({ ours: 13, peer: 7, higherIsBetter: false });
    const table = renderTable(two, 'faye-redis');
    expect(table).toContain('| 13.0 | 7.00 | 0.54x |');
    expect(table).toContain('CPU per node at that step (% of a core) | 45.0 | 20.0 | - |');
    expect(table).toContain(
      'sustained deliveries/s at p99 < 50 ms, none lost (msg/s) | 5,000 | 1,000 | 5.00x |',
    );
  });

  it('names a failed contender in the row instead of leaving a silent n/a', () => {
    const failed: Summaries = {
      pushwire: all.pushwire ?? {},
      faye: { 1: summarise([run('faye', 1, [], { error: 'faye-redis is not installed (npm install)' })]) },
    };
    const rows = versusRows(failed, [1], 'pushwire', 'faye', 'faye-redis');
    expect(rows[0]?.peer).toBeNull();
    expect(rows[0]?.note).toBe('faye-redis: FAILED faye-redis is not installed (npm install)');
  });
});

describe('Redis commands per step', () => {
  const info = (evalsha: number, lpop: number, infoCalls: number): string =>
    [
      '# Commandstats',
      `cmdstat_evalsha:calls=${evalsha},usec=900,usec_per_call=9.00,rejected_calls=0,failed_calls=0`,
      `cmdstat_lpop:calls=${lpop},usec=10,usec_per_call=1.00,rejected_calls=0,failed_calls=0`,
      `cmdstat_info:calls=${infoCalls},usec=10,usec_per_call=1.00,rejected_calls=0,failed_calls=0`,
      `cmdstat_client|setname:calls=2,usec=1,usec_per_call=0.50,rejected_calls=0,failed_calls=0`,
    ].join('\r\n');

  it('parses INFO commandstats, subcommands included', () => {
    expect(parseCommandStats(info(100, 7, 3))).toEqual({
      evalsha: 100,
      lpop: 7,
      info: 3,
      'client|setname': 2,
    });
    expect(parseCommandStats('# Commandstats\r\n')).toEqual({});
  });

  it("counts what ran between two readings, not the bench's own INFO calls, a new command from 0", () => {
    const d = commandDelta(parseCommandStats(info(100, 7, 3)), {
      ...parseCommandStats(info(160, 7, 5)),
      publish: 4,
    });
    expect(d).toEqual({ evalsha: 60, publish: 4, '*': 64 });
  });
});

describe('plan', () => {
  it("is bounded: the full run's 12 runs of steps fit in 6.6 minutes, --quick's 6 in 45 s", () => {
    const full = clusterPlan(false);
    expect(full).toMatchObject({ clients: 1000, rounds: 2 });
    expect(full.steps.length).toBeLessThanOrEqual(6);
    expect(stepBudgetMs(full, 2 * 3 * 2)).toBe(396_000);
    const quick = clusterPlan(true);
    expect(quick).toMatchObject({ clients: 100, rounds: 1 });
    expect(stepBudgetMs(quick, 3 * 2)).toBe(45_000);
  });

  it('rises: every step offers more than the one before', () => {
    for (const plan of [clusterPlan(false), clusterPlan(true)])
      expect(plan.steps.every((r, i) => i === 0 || r > (plan.steps[i - 1] as number))).toBe(true);
  });
});
