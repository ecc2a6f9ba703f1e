// maxRawJoinBacklog: the live messages held for a raw chatter while its welcome is made, crossed by one
// without timing a real race (the component is fed directly).
import { describe, expect, it } from 'vitest';
import { JoinBacklog } from '../src/server/join-backlog.js';
import { DEMO_DEFAULTS, resolveDemoOptions } from '../src/server/options.js';

describe('JoinBacklog (maxRawJoinBacklog)', () => {
  it('holds exactly the limit; one more says close', () => {
    const limit = 3;
    const backlog = new JoinBacklog<number>(limit);
    expect(backlog.holding).toBe(true);
    for (let i = 1; i <= limit; i++) expect(backlog.hold(i)).toBe(true);
    expect(backlog.hold(limit + 1)).toBe(false);
  });

  it('releases what it held, oldest first, and holds nothing after', () => {
    const backlog = new JoinBacklog<string>(2);
    expect(backlog.hold('a')).toBe(true);
    expect(backlog.hold('b')).toBe(true);
    expect(backlog.release()).toEqual(['a', 'b']);
    expect(backlog.holding).toBe(false);
    expect(backlog.release()).toEqual([]);
    expect(() => backlog.hold('c')).toThrow(/after release/);
  });

  it('the default holds 100: the 100th is held, the 101st is not', () => {
    const { maxRawJoinBacklog } = resolveDemoOptions({});
    expect(maxRawJoinBacklog).toBe(DEMO_DEFAULTS.maxRawJoinBacklog);
    expect(maxRawJoinBacklog).toBe(100);
    const backlog = new JoinBacklog<number>(maxRawJoinBacklog);
    for (let i = 0; i < 100; i++) expect(backlog.hold(i)).toBe(true);
    expect(backlog.hold(100)).toBe(false);
    expect(() => resolveDemoOptions({ maxRawJoinBacklog: 0 })).toThrow(/maxRawJoinBacklog/);
  });
});
