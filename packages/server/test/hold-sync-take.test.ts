// A held connect over an in-process engine takes the queue through Engine.takeQueueSync (issue 13): the
// catch-up take at the start of a hold and the answer's take cost no promise. Both must still find the
// messages: one queued before the hold (the catch-up rides it out at once) and one queued during it.
import { afterEach, describe, expect, it } from 'vitest';
import type { Core } from '../src/core.js';
import { MemoryEngine } from '../src/engine/memory-engine.js';
import { holdConnect } from '../src/hold.js';
import { coreWith } from './helpers/core.js';

/** Counts the asynchronous takes the server makes (with takeQueueSync present there should be none). */
class CountingEngine extends MemoryEngine {
  asyncTakes = 0;
  override takeQueue(clientId: string, maxBytes?: number, journal?: string): Promise<string[]> {
    this.asyncTakes++;
    return super.takeQueue(clientId, maxBytes, journal);
  }
}

const engines: MemoryEngine[] = [];
afterEach(async () => {
  for (const e of engines.splice(0)) await e.close();
});

async function heldClient(): Promise<{ engine: CountingEngine; clientId: string }> {
  const engine = new CountingEngine();
  engines.push(engine);
  const clientId = await engine.createClient();
  return { engine, clientId };
}

function hold(core: Core, clientId: string): Promise<string[]> {
  return holdConnect(core, {
    message: { channel: '/meta/connect', clientId, connectionType: 'long-polling', id: '2' },
    ctx: { transport: 'long-polling' },
    clientId,
    advice: { reconnect: 'retry' },
    timeoutMs: 30_000,
  });
}

describe('held connect over an engine with takeQueueSync', () => {
  it('the catch-up take finds a message queued before the hold, with no asynchronous take', async () => {
    const { engine, clientId } = await heldClient();
    await engine.deliver(clientId, ['"early"']);
    const reply = await hold(coreWith(engine), clientId);
    expect(reply[0]).toBe('"early"');
    expect(JSON.parse(reply[1]!)).toMatchObject({ channel: '/meta/connect', successful: true });
    expect(engine.asyncTakes).toBe(0);
  });

  it('the answer takes what a wake queued during the hold, with no asynchronous take', async () => {
    const { engine, clientId } = await heldClient();
    const core = coreWith(engine);
    engine.setSink({ wake: (id) => core.held.wake(id, 0), destroyed: () => {} });
    const reply = hold(core, clientId);
    await engine.deliver(clientId, ['"late"']);
    const messages = await reply;
    expect(messages[0]).toBe('"late"');
    expect(engine.asyncTakes).toBe(0);
  });
});
