// Type tests of the history and presence API (issue 9).
import { describe, expectTypeOf, it } from 'vitest';
import {
  type BayeuxServerOptions,
  createBayeuxServer,
  type Engine,
  type HistoryPosition,
  type HistoryResult,
  type PresenceMember,
} from '../src/index.js';

describe('history and presence types', () => {
  it('server calls and options have the documented shapes', () => {
    const bayeux = createBayeuxServer();
    expectTypeOf(bayeux.history)
      .parameter(1)
      .toEqualTypeOf<{ limit?: number; since?: HistoryPosition } | undefined>();
    expectTypeOf(bayeux.history).returns.toEqualTypeOf<Promise<HistoryResult>>();
    expectTypeOf(bayeux.presence).returns.resolves.toHaveProperty('count').toEqualTypeOf<number>();
    expectTypeOf<BayeuxServerOptions['channels']>().toMatchTypeOf<
      Record<string, { history?: { size: number }; presence?: boolean | { maxMembers?: number } }> | undefined
    >();
    const ok: BayeuxServerOptions = {
      channels: { '/chat/**': { history: { size: 100, ttl: 3_600_000 }, presence: true } },
    };
    expectTypeOf(ok).toEqualTypeOf<BayeuxServerOptions>();
    // @ts-expect-error size is required
    const bad: BayeuxServerOptions = { channels: { '/a': { history: { ttl: 1 } } } };
    void bad;
  });

  it('every engine method is async (a remote store can implement it)', () => {
    expectTypeOf<Engine['publishHistory']>().returns.toMatchTypeOf<
      Promise<{ count: number; position: HistoryPosition }>
    >();
    expectTypeOf<Engine['subscribeHistory']>().returns.toMatchTypeOf<Promise<{ ok: boolean }>>();
    expectTypeOf<Engine['presenceJoin']>().returns.resolves.toHaveProperty('count').toEqualTypeOf<number>();
    expectTypeOf<PresenceMember>().toEqualTypeOf<{ clientId: string; info: string }>();
  });
});
