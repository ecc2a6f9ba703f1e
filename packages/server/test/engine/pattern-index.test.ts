import { describe, expect, it } from 'vitest';
import { PatternIndex } from '../../src/engine/pattern-index.js';

describe('PatternIndex', () => {
  it('matches by exact name and trailing wildcards (Bayeux §2.2.1), each client once', () => {
    const index = new PatternIndex();
    index.add('/a/b', 'x');
    index.add('/a/*', 'x');
    index.add('/a/**', 'y');
    index.add('/other', 'z');
    expect([...(index.matching('/a/b') ?? [])].sort()).toEqual(['x', 'y']);
    expect([...(index.matching('/a/b/c') ?? [])]).toEqual(['y']);
    expect(index.matching('/b')).toBeUndefined();
  });

  it('one matching pattern: its own Set, no copy; removing the last client forgets the pattern', () => {
    const index = new PatternIndex();
    index.add('/a', 'x');
    expect(index.matching('/a')).toBe(index.matching('/a'));
    index.remove('/a', 'x');
    index.remove('/a', 'x'); // twice: a no-op
    expect(index.matching('/a')).toBeUndefined();
    index.add('/a', 'y');
    index.clear();
    expect(index.matching('/a')).toBeUndefined();
  });
});
