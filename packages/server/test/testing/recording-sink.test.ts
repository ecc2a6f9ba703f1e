// The conformance suite's RecordingSink: its waits resolve on the event itself, so expiry tests of a
// networked engine (whose sweep tells the sink after real I/O) need no timing guess.
import { RecordingSink } from '@pushwire/server/testing';
import { describe, expect, it } from 'vitest';

const ann = { clientId: 'a', info: 'null' };

describe('RecordingSink', () => {
  it('waitLeft resolves when that client leaves that channel, not on other leaves', async () => {
    const sink = new RecordingSink();
    const seen: string[] = [];
    const waiting = sink.waitLeft('/e', 'a').then((l) => seen.push(`${l.channel} ${l.reason} ${l.count}`));
    sink.left('/other', ann, 0, 'expired');
    sink.left('/e', { clientId: 'b', info: 'null' }, 1, 'expired');
    await Promise.resolve();
    expect(seen).toEqual([]);
    sink.left('/e', ann, 0, 'expired');
    await waiting;
    expect(seen).toEqual(['/e expired 0']);
  });

  it('waitLeft resolves at once for a leave already recorded', async () => {
    const sink = new RecordingSink();
    sink.left('/e', ann, 2, 'disconnect');
    expect(await sink.waitLeft('/e', 'a')).toEqual({
      channel: '/e',
      member: ann,
      count: 2,
      reason: 'disconnect',
    });
  });

  it('waitDestroyed resolves on the destroy, or at once when it already happened', async () => {
    const sink = new RecordingSink();
    const waiting = sink.waitDestroyed('x');
    sink.destroyed('x', 'slow');
    expect(await waiting).toBe('slow');
    expect(await sink.waitDestroyed('x')).toBe('slow');
  });
});
