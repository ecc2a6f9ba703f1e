// The memory engine's per-browser hold counts (maxSessionsPerBrowser): one hold is a small record, more
// tabs a Map; both count the same, expire the same, and leave nothing once released.
import { describe, expect, it } from 'vitest';
import { BrowserHolds } from '../src/engine/browser-holds.js';

describe('BrowserHolds', () => {
  it('counts one hold, and the holds of other tabs, never the asking client', () => {
    const holds = new BrowserHolds();
    holds.set('b', 'c1', 1000);
    expect(holds.count('b', 'c1', 0)).toBe(0);
    expect(holds.count('b', 'c2', 0)).toBe(1);
    holds.set('b', 'c2', 1000);
    holds.set('b', 'c3', 2000);
    expect(holds.count('b', 'c1', 0)).toBe(2);
    expect(holds.count('b', 'c9', 0)).toBe(3);
  });

  it('a re-set hold moves its deadline; expired holds are dropped when counted', () => {
    const holds = new BrowserHolds();
    holds.set('b', 'c1', 100);
    holds.set('b', 'c1', 500);
    expect(holds.count('b', 'x', 200)).toBe(1);
    expect(holds.count('b', 'x', 500)).toBe(0);
    holds.set('b', 'c1', 100);
    holds.set('b', 'c2', 900);
    expect(holds.count('b', 'x', 200)).toBe(1);
  });

  it('releasing every hold leaves the browser counted as none; releasing another client is a no-op', () => {
    const holds = new BrowserHolds();
    holds.set('b', 'c1', 1000);
    holds.set('b', 'c2', undefined);
    expect(holds.count('b', 'x', 0)).toBe(1);
    holds.set('b', 'c1', undefined);
    expect(holds.count('b', 'x', 0)).toBe(0);
    holds.set('b', 'c1', 1000);
    holds.set('b', 'c2', 1000);
    holds.set('b', 'c1', undefined);
    holds.set('b', 'c2', undefined);
    expect(holds.count('b', 'x', 0)).toBe(0);
    holds.set('b', 'c3', 1000);
    expect(holds.count('b', 'x', 0)).toBe(1);
  });
});
