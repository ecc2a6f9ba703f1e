// Type tests of the public API (vitest typecheck): event payloads, hook signatures, option shapes.
import type { Message } from '@pushwire/bayeux';
import { describe, expectTypeOf, it } from 'vitest';
import {
  type BayeuxExtension,
  type BayeuxServer,
  type BayeuxServerOptions,
  createBayeuxServer,
  type ServiceHandler,
} from '../src/index.js';

describe('public types', () => {
  it('createBayeuxServer returns a BayeuxServer whose calls have the documented shapes', () => {
    const bayeux = createBayeuxServer();
    expectTypeOf(bayeux).toEqualTypeOf<BayeuxServer>();
    expectTypeOf(bayeux.publish).returns.toEqualTypeOf<Promise<number>>();
    expectTypeOf(bayeux.handle).returns.toEqualTypeOf<Promise<boolean>>();
    expectTypeOf(bayeux.handleUpgrade).returns.toEqualTypeOf<boolean>();
    expectTypeOf(bayeux.close).returns.toEqualTypeOf<Promise<void>>();
  });

  it('events carry typed payloads', () => {
    const bayeux = createBayeuxServer();
    bayeux.on('publish', (e) => {
      expectTypeOf(e.clientId).toEqualTypeOf<string | undefined>();
      expectTypeOf(e.channel).toEqualTypeOf<string>();
    });
    bayeux.on('disconnect', (e) => {
      expectTypeOf(e.reason).toEqualTypeOf<'disconnect' | 'expired' | 'slow' | 'server-close'>();
    });
    // @ts-expect-error: not an event of the server
    bayeux.on('message', () => {});
  });

  it('hooks may return a value, null or a Promise of either', () => {
    const sync: BayeuxExtension = { incoming: (m) => m, outgoing: () => null };
    const async: BayeuxExtension = { incoming: async (m) => m, outgoing: async () => null };
    expectTypeOf(sync).toExtend<BayeuxExtension>();
    expectTypeOf(async).toExtend<BayeuxExtension>();
    const service: ServiceHandler = async (data, ctx) => ({ data, who: ctx.clientId });
    expectTypeOf(service).parameter(1).toHaveProperty('clientId').toEqualTypeOf<string>();
    // @ts-expect-error: an extension hook must return a message (or null)
    const bad: BayeuxExtension = { incoming: () => 42 };
    void bad;
    expectTypeOf<Message>().toHaveProperty('channel');
  });

  it('options are checked', () => {
    expectTypeOf<{ transports: ['long-polling'] }>().toExtend<BayeuxServerOptions>();
    // @ts-expect-error: unknown transport name
    const o: BayeuxServerOptions = { transports: ['eventsource'] };
    void o;
  });
});
