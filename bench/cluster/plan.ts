// The cluster bench's plan: how many clients, which rates, how long each step, how many rounds. Bounded:
// `stepBudgetMs` is the most time the measured steps can take (child start-up comes on top).

export interface ClusterPlan {
  clients: number;
  /** Offered deliveries/s per step, rising. */
  steps: number[];
  stepMs: number;
  drainMs: number;
  warmMs: number;
  rounds: number;
}

/** The warm-up step's longest drain (ms): it is not recorded, so it only has to settle the run. */
export const WARM_DRAIN_MS = 2000;

/**
 * Default: 2 interleaved rounds x 2 contenders x 3 node counts = 12 runs of a rising climb of at most 6
 * steps (the warm-ups and steps take at most 6.6 minutes, plus 5-15 s of child start-up per run); --quick:
 * 1 round, 100 clients, two short steps (at most 45 s of steps, plus start-up).
 * A drain of 2 s is enough to tell lost from late: anything later than 50 ms is not sustained anyway.
 */
export function clusterPlan(quick: boolean): ClusterPlan {
  return quick
    ? { clients: 100, steps: [1000, 3000], stepMs: 1000, drainMs: 1500, warmMs: 500, rounds: 1 }
    : {
        clients: 1000,
        steps: [1000, 2000, 5000, 10_000, 20_000, 40_000],
        stepMs: 3000,
        drainMs: 2000,
        warmMs: 1000,
        rounds: 2,
      };
}

/**
 * The longest the warm-ups and steps of `runs` runs can take: every step publishing for stepMs and then
 * draining for the whole drainMs (a step delivered in full stops draining at once).
 */
export function stepBudgetMs(plan: ClusterPlan, runs: number): number {
  const warm = plan.warmMs + WARM_DRAIN_MS;
  return runs * (warm + plan.steps.length * (plan.stepMs + plan.drainMs));
}
