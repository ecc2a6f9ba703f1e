// Our client against Faye's own server (npm faye NodeAdapter), unchanged: an independent Bayeux peer.

import type { Message } from '@pushwire/bayeux';
import { afterEach, describe, expect, it } from 'vitest';
import { Client, type TransportName } from '../src/index.js';
import { type FayeServer, startFaye } from './faye-server.js';
import { collector } from './helpers.js';

const TRANSPORTS: TransportName[] = ['websocket', 'long-polling', 'callback-polling'];

describe.each(TRANSPORTS)("against Faye's server over %s", (transport) => {
  let server: FayeServer;
  let client: Client;
  afterEach(async () => {
    await client?.disconnect();
    await server?.close();
  });

  async function setup(): Promise<Message[]> {
    server = await startFaye();
    const seen: Message[] = [];
    server.adapter.addExtension({
      incoming: (message, _req, callback) => {
        seen.push(message as Message);
        callback(message);
      },
    });
    client = new Client(server.url, { transports: [transport] });
    return seen;
  }

  it('handshakes with the right connectionType and reaches connected', async () => {
    const seen = await setup();
    await client.connect();
    expect(client.state).toBe('connected');
    expect(client.transport).toBe(transport);
    expect(client.clientId).toMatch(/^\w+$/);
    const connect = seen.find((m) => m.channel === '/meta/connect');
    expect(connect?.connectionType).toBe(transport);
    const handshake = seen.find((m) => m.channel === '/meta/handshake');
    expect(handshake?.version).toBe('1.0');
    expect(handshake?.supportedConnectionTypes).toEqual([transport]);
  });

  it('delivers server publishes to a wildcard subscriber with the concrete channel', async () => {
    await setup();
    const inbox = collector<[unknown, string, Message]>();
    await client.subscribe('/chat/*', inbox.handler);
    await server.publish('/chat/lobby', { text: 'hello' });
    const [data, channel, message] = await inbox.next();
    expect(data).toEqual({ text: 'hello' });
    expect(channel).toBe('/chat/lobby');
    expect(message.channel).toBe('/chat/lobby');
  });

  it('publish resolves with the server ack and the publisher receives its own message once', async () => {
    await setup();
    const inbox = collector<[unknown, string, Message]>();
    await client.subscribe('/room', inbox.handler);
    const ack = await client.publish('/room', { n: 1 });
    expect(ack.successful).toBe(true);
    expect(ack.channel).toBe('/room');
    await client.publish('/room', { n: 2 });
    expect((await inbox.next())[0]).toEqual({ n: 1 });
    expect((await inbox.next())[0]).toEqual({ n: 2 });
    expect(inbox.items).toHaveLength(2);
  });

  it('several local handlers make one /meta/subscribe; the last leaving makes one /meta/unsubscribe', async () => {
    const seen = await setup();
    const a = collector<[unknown]>();
    const b = collector<[unknown]>();
    const subA = client.subscribe('/news', a.handler);
    const subB = client.subscribe('/news', b.handler);
    await Promise.all([subA, subB]);
    expect(seen.filter((m) => m.channel === '/meta/subscribe')).toHaveLength(1);
    await server.publish('/news', 1);
    await a.next();
    await b.next();
    await subA.unsubscribe();
    expect(seen.filter((m) => m.channel === '/meta/unsubscribe')).toHaveLength(0);
    await subB.unsubscribe();
    const unsubscribes = seen.filter((m) => m.channel === '/meta/unsubscribe');
    expect(unsubscribes).toHaveLength(1);
    expect(unsubscribes[0]?.subscription).toBe('/news');
  });

  it('disconnect sends /meta/disconnect and ends in the disconnected state', async () => {
    const seen = await setup();
    await client.connect();
    const events: string[] = [];
    client.on('disconnected', () => events.push('disconnected'));
    await client.disconnect();
    expect(seen.some((m) => m.channel === '/meta/disconnect')).toBe(true);
    expect(events).toEqual(['disconnected']);
    expect(client.state).toBe('disconnected');
  });
});
