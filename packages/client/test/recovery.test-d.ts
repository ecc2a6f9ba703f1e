// Type tests of the history/presence client API (issue 9).
import { describe, expectTypeOf, it } from 'vitest';
import { Client, type PresenceResult, type Recovery, type Subscription } from '../src/index.js';

describe('recovery and presence types', () => {
  it('subscribe takes {history}; the recovery event and presence() are typed', () => {
    const client = new Client('http://127.0.0.1:1/bayeux', { autoConnect: false });
    expectTypeOf(client.subscribe('/chat/a', () => {}, { history: 10 })).toEqualTypeOf<Subscription>();
    // @ts-expect-error history is a number of messages
    client.subscribe('/chat/a', () => {}, { history: 'all' });
    client.on('recovery', (channel, recovery) => {
      expectTypeOf(channel).toEqualTypeOf<string>();
      expectTypeOf(recovery).toEqualTypeOf<Recovery>();
      expectTypeOf(recovery.recovered).toEqualTypeOf<boolean>();
      expectTypeOf(recovery.offset).toEqualTypeOf<number | undefined>();
    });
    expectTypeOf(client.presence).returns.toEqualTypeOf<Promise<PresenceResult>>();
    expectTypeOf<PresenceResult['members']>().toEqualTypeOf<
      Array<{ id: string; info: unknown }> | undefined
    >();
  });
});
