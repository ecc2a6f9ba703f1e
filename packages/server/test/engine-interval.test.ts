// A given engine keeps its own maxInterval. One shorter than the server's advice would expire clients that
// follow the advice (Bayeux §4.2): refused at construction with a message naming both figures.
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryEngine } from '../src/engine/memory-engine.js';
import { BayeuxServer } from '../src/server.js';

const servers: BayeuxServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe("the engine's maxInterval against the server's", () => {
  it('refuses an engine that expires clients sooner than the advice lets them wait', () => {
    const engine = createMemoryEngine({ maxInterval: 10_000 });
    expect(() => new BayeuxServer({ engine, maxInterval: 60_000 })).toThrow(
      /engine expires clients after 10000 ms .* maxInterval of 60000 ms/,
    );
    // One ms short is short.
    expect(() => new BayeuxServer({ engine, maxInterval: 10_001 })).toThrow(RangeError);
    return engine.close();
  });

  it('accepts an engine as patient as the server or more', () => {
    const same = createMemoryEngine({ maxInterval: 60_000 });
    servers.push(new BayeuxServer({ engine: same, maxInterval: 60_000 }));
    const longer = createMemoryEngine({ maxInterval: 120_000 });
    servers.push(new BayeuxServer({ engine: longer, maxInterval: 60_000 }));
    expect(same.maxInterval).toBe(60_000);
    expect(longer.maxInterval).toBe(120_000);
  });

  it('cannot check an engine that does not say (maxInterval is optional in the contract)', () => {
    const engine = createMemoryEngine({ maxInterval: 1000 });
    const silent = new Proxy(engine, {
      get: (target, key) => (key === 'maxInterval' ? undefined : Reflect.get(target, key, target)),
    });
    servers.push(new BayeuxServer({ engine: silent, maxInterval: 60_000 }));
    expect(servers).toHaveLength(1);
  });
});
