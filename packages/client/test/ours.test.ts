// Our client against our server (packages/server) on every transport.

import { BayeuxError, type Message } from '@pushwire/bayeux';
import { afterEach, describe, expect, it } from 'vitest';
import { Client, ServerRefusal, type TransportName } from '../src/index.js';
import { collector, type OurServer, startOurs } from './helpers.js';

const TRANSPORTS: TransportName[] = ['websocket', 'long-polling', 'callback-polling', 'short-polling'];

describe.each(TRANSPORTS)('against our server over %s', (transport) => {
  let server: OurServer;
  let client: Client;
  afterEach(async () => {
    await client?.disconnect();
    await server?.close();
  });

  async function setup(options: Parameters<typeof startOurs>[0] = {}): Promise<void> {
    server = await startOurs(options);
    client = new Client(server.url, { transports: [transport], shortPollingInterval: 50 });
  }

  it('connects with the negotiated transport', async () => {
    await setup();
    const up = collector<[string]>();
    client.on('transport:up', up.handler);
    await client.connect();
    expect(client.state).toBe('connected');
    expect(client.transport).toBe(transport);
    expect((await up.next())[0]).toBe(transport);
  });

  it('delivers publishes from other clients and from the server, once each', async () => {
    await setup();
    const inbox = collector<[unknown, string, Message]>();
    await client.subscribe(['/chat/**', '/alerts'], inbox.handler);
    const other = new Client(server.url, { transports: ['long-polling'] });
    try {
      await other.publish('/chat/a/b', 'deep');
      await server.bayeux.publish('/alerts', { level: 2 });
      const first = await inbox.next();
      const second = await inbox.next();
      const got = [first, second].map(([data, channel]) => [channel, data]);
      expect(got).toEqual(
        expect.arrayContaining([
          ['/chat/a/b', 'deep'],
          ['/alerts', { level: 2 }],
        ]),
      );
      expect(first[2].clientId).toBeUndefined();
    } finally {
      await other.disconnect();
    }
  });

  it('remoteCall resolves with the service result', async () => {
    await setup();
    await expect(client.remoteCall('/service/echo', { ping: 1 }, { timeout: 5000 })).resolves.toEqual({
      ping: 1,
    });
  });

  it('a refused subscription rejects with a typed BayeuxError and keeps no handler', async () => {
    await setup({ securityPolicy: { canSubscribe: (_id, sub) => sub !== '/secret' } });
    const inbox = collector<[unknown]>();
    const refused = client.subscribe('/secret', inbox.handler);
    const error = await refused.then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(BayeuxError);
    expect(error).toBeInstanceOf(ServerRefusal);
    expect((error as ServerRefusal).code).toBe(403);
    expect((error as ServerRefusal).reply.channel).toBe('/meta/subscribe');
    // The channel can be subscribed again later (nothing half-registered is left behind).
    const allowed = collector<[unknown]>();
    await client.subscribe('/open', allowed.handler);
    await server.bayeux.publish('/open', 7);
    expect((await allowed.next())[0]).toBe(7);
  });

  it('a refused publish rejects with a typed BayeuxError', async () => {
    await setup({ securityPolicy: { canPublish: (_id, channel) => channel !== '/readonly' } });
    const error = await client.publish('/readonly', 1).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ServerRefusal);
    expect((error as ServerRefusal).code).toBe(403);
  });
});
