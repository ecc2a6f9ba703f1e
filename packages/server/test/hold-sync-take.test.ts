// A held connect over an in-process engine takes the queue through Engine.takeQueueSync (issue 13): the
// catch-up take at the start of a hold and the answer's take cost no promise. Both must still find the
// messages: one queued before the hold (the catch-up rides it out at once) and one queued during it.
import { afterEach, describe, expect, it } from 'vitest';
import type { Core, HeldReplySink } from '../src/core.js';
import { MemoryEngine } from '../src/engine/memory-engine.js';
import { holdConnect, holdConnectTo } from '../src/hold.js';
import { coreWith } from './helpers/core.js';

/** Counts the asynchronous takes the server makes (with takeQueueSync present there should be none). */
class CountingEngine extends MemoryEngine {
  asyncTakes = 0;
  pings = 0;
  override ping(clientId: string): Promise<void> {
    this.pings++;
    return super.ping(clientId);
  }
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

  it('a wake answers before it returns: the queued message, then the connect reply with its id and advice, and a ping', async () => {
    const { engine, clientId } = await heldClient();
    const core = coreWith(engine);
    const got: string[][] = [];
    const sink: HeldReplySink = { heldStarted() {}, heldReply: (messages) => got.push(messages) };
    const advice = { reconnect: 'retry', interval: 0, timeout: 30_000 } as const;
    holdConnectTo(
      core,
      {
        message: { channel: '/meta/connect', clientId, connectionType: 'long-polling', id: '9' },
        ctx: { transport: 'long-polling' },
        clientId,
        advice,
        timeoutMs: 30_000,
      },
      sink,
    );
    engine.setSink({ wake: () => {}, destroyed: () => {} });
    await engine.deliver(clientId, ['{"channel":"/a","data":1}']);
    const pingsBefore = engine.pings;
    core.held.wake(clientId, 0);
    // No await between the wake and these: the answer was built and handed over inside the wake.
    expect(got).toHaveLength(1);
    expect(got[0]?.[0]).toBe('{"channel":"/a","data":1}');
    expect(JSON.parse(got[0]?.[1] ?? '')).toEqual({
      channel: '/meta/connect',
      clientId,
      successful: true,
      advice,
      id: '9',
    });
    expect(engine.pings).toBe(pingsBefore + 1);
    expect(core.held.isHeld(clientId)).toBe(false);
    expect(await engine.takeQueue(clientId)).toEqual([]);
  });

  it('with an outgoing extension the reply still goes through it (built asynchronously)', async () => {
    const { engine, clientId } = await heldClient();
    const core = coreWith(engine);
    core.extensions.add({
      outgoing: (message) =>
        message.channel === '/meta/connect' ? { ...message, ext: { seen: true } } : message,
    });
    const reply = hold(core, clientId);
    await engine.deliver(clientId, ['"m"']);
    core.held.wake(clientId, 0);
    const messages = await reply;
    expect(messages[0]).toBe('"m"');
    expect(JSON.parse(messages[1] ?? '')).toMatchObject({ channel: '/meta/connect', ext: { seen: true } });
  });
});
