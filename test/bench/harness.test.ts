// The bench harness's pure parts: the load-average gate (a run on a busy machine is flagged, never
// reported as met), medians, ratios oriented so > 1 means ours is better, and the interleaving order.
import { describe, expect, it } from 'vitest';
import { mainThreadFile, parseTotals } from '../../bench/lib/callgrind.js';
import {
  interleave,
  loadLine,
  loadNote,
  loadVerdict,
  median,
  orientedRatio,
  QUIET_LOAD,
  worstLoad,
} from '../../bench/lib/honesty.js';
import { packageConditions } from '../../bench/lib/proc.js';
import { renderTable } from '../../bench/lib/table.js';

describe('load-average gate', () => {
  it('is quiet at or below 1 and not above it', () => {
    expect(QUIET_LOAD).toBe(1);
    expect(loadVerdict([1, 9, 9]).quiet).toBe(true);
    expect(loadVerdict([0.2, 0.1, 0]).quiet).toBe(true);
    expect(loadVerdict([1.01, 0, 0]).quiet).toBe(false);
    expect(loadVerdict([13.9, 14.4, 11.7]).quiet).toBe(false);
    expect(loadVerdict([]).quiet).toBe(false);
    expect(loadVerdict([Number.NaN]).quiet).toBe(false);
    expect(loadVerdict([2, 0, 0], 3).quiet).toBe(true);
  });

  it('prints the three figures and, above 1, the loud warning', () => {
    const quiet = loadLine('ws echo', 'before', loadVerdict([0.5, 0.25, 0.125]));
    expect(quiet).toBe('  load average before ws echo: 0.50 0.25 0.13');
    const busy = loadLine('ws echo', 'after', loadVerdict([13.91, 14.39, 11.74]));
    expect(busy).toContain('load average after ws echo: 13.91 14.39 11.74');
    expect(busy).toContain('13.91 > 1: NOT A RESULT: rerun on a quiet machine');
  });

  it('a row is quiet only when every run behind it was', () => {
    expect(worstLoad([])).toBeNull();
    const w = worstLoad([
      { before: 0.5, after: 0.7, quiet: true },
      { before: 3, after: 0.2, quiet: false },
    ]);
    expect(w).toEqual({ before: 3, after: 0.7, quiet: false });
    expect(loadNote(w)).toBe('load 3.0/0.7 UNDER LOAD: not a result');
    expect(loadNote({ before: 0.5, after: 0.7, quiet: true })).toBe('load 0.5/0.7');
  });

  it('a table row under load is never reported as met', () => {
    const row = {
      scenario: 'echo',
      metric: 'messages/s',
      unit: 'msg/s',
      ours: 300,
      peer: 100,
      higherIsBetter: true,
      target: 1.2,
    };
    const quiet = renderTable([{ ...row, load: { before: 0.3, after: 0.4, quiet: true } }], 'ws');
    expect(quiet).toContain('| 3.00x | >= 1.2x | load 0.3/0.4 | met |');
    const busy = renderTable([{ ...row, load: { before: 9, after: 10, quiet: false } }], 'ws');
    expect(busy).not.toContain('| met |');
    expect(busy).toContain('looks met, taken under load: not a result');
    const missed = renderTable([{ ...row, ours: 100, load: { before: 0.3, after: 0.4, quiet: true } }], 'ws');
    expect(missed).toContain('| MISSED |');
  });

  it('instruction counts (callgrind) are shown with their load but not disqualified by it', () => {
    const counted = renderTable(
      [
        {
          scenario: 'echo',
          metric: 'instructions per message',
          unit: 'instr',
          ours: 100,
          peer: 150,
          higherIsBetter: false,
          target: 1.2,
          load: { before: 9, after: 10, quiet: false },
          loadIndependent: true,
        },
      ],
      'ws',
    );
    expect(counted).toContain(
      '| 1.50x | >= 1.2x | load 9.0/10.0 (instruction counts: load-independent) | met |',
    );
  });
});

describe('median', () => {
  it('takes the middle value, the mean of the middle two for an even count', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
    expect(median([])).toBeNaN();
    expect(median([Number.NaN, 5, Number.POSITIVE_INFINITY, 1])).toBe(3);
  });

  it('does not reorder its input', () => {
    const xs = [3, 1, 2];
    median(xs);
    expect(xs).toEqual([3, 1, 2]);
  });
});

describe('oriented ratio', () => {
  it('is ours/peer for throughput and peer/ours for latency or memory', () => {
    expect(orientedRatio(200, 100, true)).toBe(2);
    expect(orientedRatio(50, 100, true)).toBe(0.5);
    expect(orientedRatio(1000, 2000, false)).toBe(2);
    expect(orientedRatio(2000, 1000, false)).toBe(0.5);
  });

  it('is null when a side is missing, zero or not finite', () => {
    expect(orientedRatio(null, 1, true)).toBeNull();
    expect(orientedRatio(1, null, true)).toBeNull();
    expect(orientedRatio(0, 1, true)).toBeNull();
    expect(orientedRatio(1, 0, false)).toBeNull();
    expect(orientedRatio(Number.NaN, 1, true)).toBeNull();
  });
});

describe('interleaving and what the children load', () => {
  it('rotates the contenders every repetition so none always runs first', () => {
    const c = ['faye', 'pushwire', 'socketio'];
    expect(interleave(c, 0)).toEqual(['faye', 'pushwire', 'socketio']);
    expect(interleave(c, 1)).toEqual(['pushwire', 'socketio', 'faye']);
    expect(interleave(c, 2)).toEqual(['socketio', 'faye', 'pushwire']);
    expect(interleave(c, 3)).toEqual(c);
    expect(interleave([], 4)).toEqual([]);
  });

  it('loads our packages compiled (dist) unless BENCH_SOURCE=1', () => {
    expect(packageConditions({})).toEqual([]);
    expect(packageConditions({ BENCH_SOURCE: '1' })).toEqual(['--conditions=pushwire-source']);
  });
});

describe('callgrind dumps', () => {
  it('reads the instructions executed from the totals (or summary) line', () => {
    expect(parseTotals('version: 1\nevents: Ir\nsummary: 763033461\n')).toBe(763033461);
    expect(parseTotals('events: Ir\nfn=main\n1 5\ntotals: 42\n')).toBe(42);
    expect(() => parseTotals('events: Ir\n')).toThrow(/no totals/);
  });

  it('picks the main thread among the per-thread dumps', () => {
    expect(mainThreadFile(['/d/x.7.out.1-03', '/d/x.7.out.1-01', '/d/x.7.out.1-02'])).toBe('/d/x.7.out.1-01');
    expect(mainThreadFile(['/d/x.7.out.1'])).toBe('/d/x.7.out.1');
    expect(mainThreadFile(['/d/x.7.out.1-02', '/d/x.7.out.1-03'])).toBeUndefined();
  });
});
