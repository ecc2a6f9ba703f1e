import { describe, expect, it } from 'vitest';
import { ReadGate } from '../src/transports/read-gate.js';

describe('ReadGate (maxPendingFrames)', () => {
  it('pauses one frame past the limit, not at it, and resumes at half', () => {
    const calls: string[] = [];
    const gate = new ReadGate(4, {
      pause: () => calls.push('pause'),
      resume: () => calls.push('resume'),
    });
    for (let i = 0; i < 4; i++) gate.add();
    expect(calls).toEqual([]);
    gate.add();
    expect(calls).toEqual(['pause']);
    gate.add();
    expect(calls).toEqual(['pause']);
    for (let i = 0; i < 3; i++) gate.done();
    expect(gate.pending).toBe(3);
    expect(calls).toEqual(['pause']);
    gate.done();
    expect(calls).toEqual(['pause', 'resume']);
    expect(gate.paused).toBe(false);
  });
});
