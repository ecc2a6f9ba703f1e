// Races around a held connect: messages taken by the gap check after the hold ended another way must go
// back to the queue, never be dropped.
import { describe, expect, it } from 'vitest';
import { holdConnect } from '../src/hold.js';
import { coreWith } from './helpers/core.js';
import { TestEngine } from './helpers/test-engine.js';

/** takeQueue calls resolve only when the test says so. */
class SlowTakeEngine extends TestEngine {
  readonly takes: ((q: string[]) => void)[] = [];
  readonly requeued: string[][] = [];
  override takeQueue(): Promise<string[]> {
    return new Promise((resolve) => this.takes.push(resolve));
  }
  override async requeue(clientId: string, encoded: string[]): Promise<void> {
    this.requeued.push(encoded);
    await super.requeue(clientId, encoded);
  }
}

const CONNECT = { channel: '/meta/connect', clientId: 'c', connectionType: 'long-polling', id: '1' };

describe('holdConnect races', () => {
  it('messages the gap check takes after the request went away go back to the queue', async () => {
    const engine = new SlowTakeEngine();
    const core = coreWith(engine);
    const abort = new AbortController();
    const held = holdConnect(core, {
      message: CONNECT,
      ctx: { transport: 'long-polling', signal: abort.signal },
      clientId: 'c',
      advice: { reconnect: 'retry' },
      timeoutMs: 30_000,
    });
    expect(engine.takes).toHaveLength(1); // the gap check
    abort.abort();
    const reply = await held;
    expect(reply).toHaveLength(1); // the connect reply only
    engine.takes[0]!(['"late"']);
    await new Promise((r) => setImmediate(r));
    expect(engine.requeued).toEqual([['"late"']]);
  });

  it('messages the gap check finds while the hold is active ride the reply, oldest first', async () => {
    const engine = new SlowTakeEngine();
    const core = coreWith(engine);
    const held = holdConnect(core, {
      message: CONNECT,
      ctx: { transport: 'long-polling' },
      clientId: 'c',
      advice: { reconnect: 'retry' },
      timeoutMs: 30_000,
    });
    engine.takes[0]!(['"a"']);
    await new Promise((r) => setImmediate(r));
    // The release took the queue again: what was published meanwhile follows.
    engine.takes[1]!(['"b"']);
    const reply = await held;
    expect(reply.slice(0, 2)).toEqual(['"a"', '"b"']);
    expect(JSON.parse(reply[2]!)).toMatchObject({ channel: '/meta/connect', successful: true });
    expect(engine.requeued).toEqual([]);
  });

  it('a wake during the gap check waits for it: its older messages go first, none put back', async () => {
    // With a remote engine (Redis) the gap check is real I/O; a wake arriving meanwhile must not answer
    // with NEWER messages and put the older ones back (a history client would drop them: a loss).
    const engine = new SlowTakeEngine();
    const core = coreWith(engine);
    const held = holdConnect(core, {
      message: CONNECT,
      ctx: { transport: 'long-polling' },
      clientId: 'c',
      advice: { reconnect: 'retry' },
      timeoutMs: 30_000,
    });
    expect(engine.takes).toHaveLength(1); // the gap check, in flight
    core.held.release('c', 'wake');
    await new Promise((r) => setImmediate(r));
    expect(engine.takes).toHaveLength(1); // the answer waits instead of taking newer messages first
    engine.takes[0]!(['"older"']);
    await new Promise((r) => setImmediate(r));
    engine.takes[1]!(['"newer"']);
    const reply = await held;
    expect(reply.slice(0, 2)).toEqual(['"older"', '"newer"']);
    expect(engine.requeued).toEqual([]);
  });
});
