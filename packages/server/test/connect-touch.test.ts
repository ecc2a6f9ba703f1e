// A /meta/connect asks the engine whether its client is known and pings it: with Engine.touchClient that is
// one call, not clientExists then ping (issue 13: engine calls per long-poll round trip). A connect without
// a connectionType is still refused without a ping.
import { afterEach, describe, expect, it } from 'vitest';
import { decideConnect } from '../src/connect.js';
import { MemoryEngine } from '../src/engine/memory-engine.js';
import { holdConnect } from '../src/hold.js';
import { coreWith } from './helpers/core.js';

class CountingEngine extends MemoryEngine {
  calls: string[] = [];
  override clientExists(clientId: string): Promise<boolean> {
    this.calls.push('clientExists');
    return super.clientExists(clientId);
  }
  override ping(clientId: string): Promise<void> {
    this.calls.push('ping');
    return super.ping(clientId);
  }
  override touchClient(clientId: string): Promise<boolean> {
    this.calls.push('touchClient');
    return super.touchClient(clientId);
  }
  override browserHolds(browserId: string, exceptClientId: string): Promise<number> {
    this.calls.push('browserHolds');
    return super.browserHolds(browserId, exceptClientId);
  }
  override setBrowserHold(browserId: string, clientId: string, untilMs: number | undefined): Promise<void> {
    this.calls.push(untilMs === undefined ? 'setBrowserHold(clear)' : 'setBrowserHold');
    return super.setBrowserHold(browserId, clientId, untilMs);
  }
  override claimBrowserHold(browserId: string, clientId: string, untilMs: number, max: number) {
    this.calls.push('claimBrowserHold');
    return super.claimBrowserHold(browserId, clientId, untilMs, max);
  }
}

const engines: MemoryEngine[] = [];
afterEach(async () => {
  for (const e of engines.splice(0)) await e.close();
});

async function setup(): Promise<{ engine: CountingEngine; clientId: string }> {
  const engine = new CountingEngine();
  engines.push(engine);
  return { engine, clientId: await engine.createClient() };
}

describe('decideConnect over an engine with touchClient', () => {
  it('knows and pings the client in one engine call', async () => {
    const { engine, clientId } = await setup();
    const message = { channel: '/meta/connect', clientId, connectionType: 'long-polling', id: '2' };
    const decision = await decideConnect(coreWith(engine), message, { transport: 'long-polling' }, true);
    expect(decision.kind).toBe('hold');
    expect(engine.calls).toEqual(['touchClient']);
  });

  it('an unknown client is refused after the one call', async () => {
    const { engine } = await setup();
    const message = { channel: '/meta/connect', clientId: 'ghost', connectionType: 'long-polling', id: '2' };
    const decision = await decideConnect(coreWith(engine), message, { transport: 'long-polling' }, true);
    expect(decision.kind).toBe('reply');
    expect(engine.calls).toEqual(['touchClient']);
  });

  it('a connect without connectionType is refused without a ping', async () => {
    const { engine, clientId } = await setup();
    const message = { channel: '/meta/connect', clientId, id: '2' };
    const decision = await decideConnect(coreWith(engine), message, { transport: 'long-polling' }, true);
    expect(decision).toMatchObject({ kind: 'reply', reply: { successful: false } });
    expect(engine.calls).toEqual(['clientExists']);
  });
});

describe('a held long-poll of a browser over an engine with claimBrowserHold', () => {
  it('counts and records its browser hold in one engine call; the release clears it', async () => {
    const { engine, clientId } = await setup();
    const core = coreWith(engine, { timeout: 30_000, maxSessionsPerBrowser: 1 });
    const ctx = { transport: 'long-polling' as const, browserId: 'b1' };
    const message = { channel: '/meta/connect', clientId, connectionType: 'long-polling', id: '2' };
    const decision = await decideConnect(core, message, ctx, true);
    if (decision.kind !== 'hold') throw new Error(`expected a hold, got ${decision.kind}`);
    expect(decision.browserClaimed).toBe(true);
    const reply = holdConnect(core, { message, ctx, ...decision });
    expect(await engine.browserHolds('b1', 'other')).toBe(1);
    core.held.release(clientId, 'timeout');
    await reply;
    expect(engine.calls).toEqual([
      'touchClient',
      'claimBrowserHold',
      'browserHolds', // the test's own count
      'setBrowserHold(clear)',
      'ping',
    ]);
    expect(await engine.browserHolds('b1', 'other')).toBe(0);
  });
});
