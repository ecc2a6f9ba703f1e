// Type tests: a channel map types handlers, wildcard handlers and publishes.

import type { Message } from '@pushwire/bayeux';
import { describe, expectTypeOf, it } from 'vitest';
import {
  type Ack,
  Client,
  type ClientError,
  type ClientErrorCode,
  type ClientState,
  type PayloadOf,
  type Subscription,
  type TransportName,
} from '../src/index.js';

interface Chat {
  text: string;
  from: string;
}
interface Channels {
  '/chat/lobby': Chat;
  '/chat/random': Chat;
  '/scores/game/1': number;
  '/news': { title: string };
}

describe('typed channels', () => {
  const client = new Client<Channels>('http://localhost/bayeux');

  it('types the handler of a concrete channel', () => {
    client.subscribe('/chat/lobby', (data, channel, message) => {
      expectTypeOf(data).toEqualTypeOf<Chat>();
      expectTypeOf(channel).toEqualTypeOf<'/chat/lobby'>();
      expectTypeOf(message).toEqualTypeOf<Message>();
    });
    expectTypeOf(client.subscribe('/news', () => undefined)).toEqualTypeOf<Subscription>();
  });

  it('types wildcard handlers with the union of what they can match, and the concrete channel', () => {
    client.subscribe('/chat/*', (data, channel) => {
      expectTypeOf(data).toEqualTypeOf<Chat>();
      expectTypeOf(channel).toEqualTypeOf<'/chat/lobby' | '/chat/random'>();
    });
    client.subscribe('/scores/**', (data) => {
      expectTypeOf(data).toEqualTypeOf<number>();
    });
    client.subscribe('/**', (data) => {
      expectTypeOf(data).toEqualTypeOf<Chat | number | { title: string }>();
    });
  });

  it('refuses unknown channels and wrong payloads', () => {
    // @ts-expect-error not a channel of the map
    client.subscribe('/unknown', () => undefined);
    // @ts-expect-error payload of /news is { title }
    void client.publish('/news', { text: 'x' });
    // @ts-expect-error not a channel of the map
    void client.publish('/nope', 1);
    expectTypeOf(client.publish('/scores/game/1', 3)).toEqualTypeOf<Promise<Ack>>();
  });

  it('a handler declared with the wrong payload type is refused', () => {
    // @ts-expect-error /news carries { title }, not number
    client.subscribe('/news', (data: number) => data);
  });

  it('PayloadOf resolves names and patterns', () => {
    expectTypeOf<PayloadOf<Channels, '/chat/lobby'>>().toEqualTypeOf<Chat>();
    expectTypeOf<PayloadOf<Channels, '/scores/*'>>().toEqualTypeOf<number>();
  });
});

describe('untyped client', () => {
  it('accepts any channel with unknown payloads', () => {
    const client = new Client('http://localhost/bayeux');
    client.subscribe('/anything/**', (data, channel) => {
      expectTypeOf(data).toEqualTypeOf<unknown>();
      expectTypeOf(channel).toEqualTypeOf<string>();
    });
    expectTypeOf(client.publish('/x', { any: 1 })).toEqualTypeOf<Promise<Ack>>();
    expectTypeOf(client.remoteCall<number>('/service/add', [1, 2])).toEqualTypeOf<Promise<number>>();
  });
});

describe('typed events', () => {
  it('types event arguments', () => {
    const client = new Client('http://localhost/bayeux');
    client.on('reconnecting', (info) => {
      expectTypeOf(info.attempt).toEqualTypeOf<number>();
      expectTypeOf(info.delayMs).toEqualTypeOf<number>();
      expectTypeOf(info.cause).toEqualTypeOf<ClientError>();
      expectTypeOf(info.cause.code).toEqualTypeOf<ClientErrorCode>();
    });
    client.on('state', (state, previous) => {
      expectTypeOf(state).toEqualTypeOf<ClientState>();
      expectTypeOf(previous).toEqualTypeOf<ClientState>();
    });
    client.on('connecting', (info) => expectTypeOf(info.transport).toEqualTypeOf<TransportName>());
    client.on('connected', (info) => expectTypeOf(info.clientId).toEqualTypeOf<string>());
    client.on('disconnected', (info) => expectTypeOf(info.cause).toEqualTypeOf<Error | null>());
    client.on('transport:up', (name) => expectTypeOf(name).toEqualTypeOf<TransportName>());
    client.on('handshake', (reply, again) => {
      expectTypeOf(reply).toEqualTypeOf<Message>();
      expectTypeOf(again).toEqualTypeOf<boolean>();
    });
    client.on('error', (err) => expectTypeOf(err).toEqualTypeOf<Error>());
    // @ts-expect-error not an event of the client
    client.on('nope', () => undefined);
    // @ts-expect-error 'connected' passes a ConnectedInfo, not a number
    client.on('connected', (x: number) => x);
    // @ts-expect-error 'handshaking' is not an event any more: 'connecting' is
    client.on('handshaking', () => undefined);
  });
});
