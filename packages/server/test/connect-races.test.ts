// Races around a held connect: messages taken by the gap check after the hold ended another way must go
// back to the queue, never be dropped.
import { describe, expect, it } from 'vitest';
import { AuthorizerRegistry } from '../src/authorizers.js';
import { holdConnect } from '../src/connect.js';
import { Connections } from '../src/connections.js';
import type { Core } from '../src/core.js';
import { BayeuxEmitter } from '../src/events.js';
import { ExtensionPipeline } from '../src/extensions.js';
import { resolveOptions } from '../src/options.js';
import { ServiceRegistry } from '../src/services.js';
import { TestEngine } from './helpers/test-engine.js';

/** takeQueue calls resolve only when the test says so. */
class SlowTakeEngine extends TestEngine {
  readonly takes: ((q: string[]) => void)[] = [];
  readonly delivered: string[][] = [];
  override takeQueue(): Promise<string[]> {
    return new Promise((resolve) => this.takes.push(resolve));
  }
  override async deliver(clientId: string, encoded: string[]): Promise<void> {
    this.delivered.push(encoded);
    await super.deliver(clientId, encoded);
  }
}

function coreWith(engine: TestEngine): Core {
  return {
    options: resolveOptions({ timeout: 30_000 }),
    engine,
    extensions: new ExtensionPipeline(),
    services: new ServiceRegistry(),
    authorizers: new AuthorizerRegistry(),
    events: new BayeuxEmitter(() => {}),
    connections: new Connections(),
    awaitingFirstConnect: new Set(),
    closing: false,
    ownsEngine: false,
    reportError: (err) => {
      throw err;
    },
  };
}

const CONNECT = { channel: '/meta/connect', clientId: 'c', connectionType: 'long-polling', id: '1' };

describe('holdConnect races', () => {
  it('messages the gap check takes after the request went away go back to the queue', async () => {
    const engine = new SlowTakeEngine();
    const core = coreWith(engine);
    const abort = new AbortController();
    const held = holdConnect(
      core,
      CONNECT,
      { transport: 'long-polling', signal: abort.signal },
      {
        clientId: 'c',
        advice: { reconnect: 'retry' },
        timeoutMs: 30_000,
      },
    );
    expect(engine.takes).toHaveLength(1); // the gap check
    abort.abort();
    const reply = await held;
    expect(reply).toHaveLength(1); // the connect reply only
    engine.takes[0]!(['"late"']);
    await new Promise((r) => setImmediate(r));
    expect(engine.delivered).toEqual([['"late"']]);
  });

  it('messages the gap check finds while the hold is active ride the reply, oldest first', async () => {
    const engine = new SlowTakeEngine();
    const core = coreWith(engine);
    const held = holdConnect(
      core,
      CONNECT,
      { transport: 'long-polling' },
      {
        clientId: 'c',
        advice: { reconnect: 'retry' },
        timeoutMs: 30_000,
      },
    );
    engine.takes[0]!(['"a"']);
    await new Promise((r) => setImmediate(r));
    // The release took the queue again: what was published meanwhile follows.
    engine.takes[1]!(['"b"']);
    const reply = await held;
    expect(reply.slice(0, 2)).toEqual(['"a"', '"b"']);
    expect(JSON.parse(reply[2]!)).toMatchObject({ channel: '/meta/connect', successful: true });
    expect(engine.delivered).toEqual([]);
  });
});
