// The shipped extensions end to end against our server's (CometD wire): ack and timesync.

import { ackExtension as serverAck, timesyncExtension as serverTimesync } from '@pushwire/server';
import { afterEach, describe, expect, it } from 'vitest';
import { ackExtension, Client, type TransportName, timesyncExtension } from '../src/index.js';
import { collector, type OurServer, startOurs } from './helpers.js';

describe('ack extension against our server', () => {
  let server: OurServer;
  let client: Client;
  afterEach(async () => {
    await client?.disconnect();
    await server?.close();
  });

  it.each<TransportName>(['websocket', 'long-polling', 'callback-polling'])(
    'over %s: negotiated, batches acknowledged, every message once and in order',
    async (transport) => {
      server = await startOurs({ timeout: 500 });
      server.bayeux.addExtension(serverAck());
      client = new Client(server.url, { transports: [transport] });
      const ack = ackExtension();
      client.addExtension(ack);
      // Resolves when a connect reply carries a batch number: events ride before the reply in its batch.
      const batched = new Promise<void>((resolve) =>
        client.addExtension({
          incoming: (m) => {
            if (m.channel === '/meta/connect' && typeof m.ext?.ack === 'number' && m.ext.ack > 0) resolve();
            return m;
          },
        }),
      );
      const inbox = collector<[unknown]>();
      await client.subscribe('/acked', inbox.handler);
      expect(ack.enabled).toBe(true);
      for (let i = 0; i < 5; i++) await server.bayeux.publish('/acked', i);
      for (let i = 0; i < 5; i++) expect((await inbox.next())[0]).toBe(i);
      await batched;
      expect(ack.batch).toBeGreaterThan(0);
      expect(inbox.items.map(([d]) => d)).toEqual([0, 1, 2, 3, 4]);
    },
  );

  it('a connect reply lost on the way (long-polling) is resent by the server and delivered once', async () => {
    server = await startOurs({ timeout: 500 });
    server.bayeux.addExtension(serverAck());
    let dropped = 0;
    // Loses the first HTTP response that carries an event: the server sent it, the client never saw it.
    const lossyFetch: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      const text = await response.text();
      if (dropped === 0 && text.includes('"/lossy"') && text.includes('/meta/connect')) {
        dropped++;
        throw new TypeError('network error (simulated)');
      }
      return new Response(text, { status: response.status, headers: response.headers });
    };
    client = new Client(server.url, {
      transports: ['long-polling'],
      fetch: lossyFetch,
      backoffIncrement: 20,
      backoffJitter: 0,
    });
    const ack = ackExtension();
    client.addExtension(ack);
    const inbox = collector<[unknown]>();
    await client.subscribe('/lossy', inbox.handler);
    await server.bayeux.publish('/lossy', 'survives');
    expect((await inbox.next())[0]).toBe('survives');
    expect(dropped).toBe(1);
    await server.bayeux.publish('/lossy', 'next');
    expect((await inbox.next())[0]).toBe('next');
    expect(inbox.items.map(([d]) => d)).toEqual(['survives', 'next']);
  });
});

describe('timesync extension against our server', () => {
  it('measures a small lag and an offset near zero (same clock)', async () => {
    const server = await startOurs({ timeout: 500 });
    server.bayeux.addExtension(serverTimesync());
    const client = new Client(server.url, { transports: ['long-polling'] });
    const sync = timesyncExtension();
    client.addExtension(sync);
    // Resolves when a meta reply carried the server's sample.
    const sampled = new Promise<void>((resolve) =>
      client.addExtension({
        incoming: (m) => {
          if (m.channel.startsWith('/meta/') && m.ext?.timesync !== undefined) resolve();
          return m;
        },
      }),
    );
    try {
      await client.connect();
      await sampled;
      expect(sync.getNetworkLag()).toBeGreaterThanOrEqual(0);
      expect(sync.getNetworkLag()).toBeLessThan(1000);
      expect(Math.abs(sync.getTimeOffset())).toBeLessThan(1000);
    } finally {
      await client.disconnect();
      await server.close();
    }
  });
});
