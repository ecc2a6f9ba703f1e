// Latency samples and summary figures. Samples are kept raw (bounded) and sorted once at the end: the
// runs are short, so exact percentiles are cheaper than a histogram and easier to trust.

/** Collects latency samples in milliseconds, keeping at most `capacity` (later ones are dropped). */
export class Samples {
  private data: Float64Array;
  private n = 0;
  /** Samples offered, including those dropped once the buffer was full. */
  total = 0;

  constructor(capacity = 2_000_000) {
    this.data = new Float64Array(capacity);
  }

  add(ms: number): void {
    this.total++;
    if (this.n < this.data.length) this.data[this.n++] = ms;
  }

  get count(): number {
    return this.n;
  }

  reset(): void {
    this.n = 0;
    this.total = 0;
  }

  /** Percentiles (0-100) of what was kept; NaN when empty. */
  percentiles(ps: number[]): number[] {
    if (this.n === 0) return ps.map(() => Number.NaN);
    const sorted = this.data.slice(0, this.n).sort();
    return ps.map((p) => {
      const idx = Math.min(this.n - 1, Math.max(0, Math.ceil((p / 100) * this.n) - 1));
      return sorted[idx] ?? Number.NaN;
    });
  }
}

/** Monotonic clock shared by every process on the machine (CLOCK_MONOTONIC), in milliseconds. */
export function monoMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

export function round(n: number, digits = 2): number {
  if (!Number.isFinite(n)) return n;
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
