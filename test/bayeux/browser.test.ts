// Bayeux §8 multiple clients in one browser (one BAYEUX_BROWSER cookie shared by two sessions) on the
// HTTP transports, and §3.3 minimumVersion.

import { describe, expect, it } from 'vitest';
import { CookieJar } from './support/http.js';
import { JsonpDriver } from './support/jsonp-driver.js';
import { matrix, timed } from './support/matrix.js';
import { PollingDriver } from './support/polling-driver.js';
import { PROFILES } from './support/profiles.js';
import { selectedServers, startServer } from './support/servers.js';
import { Session } from './support/session.js';

for (const kind of selectedServers()) {
  for (const transport of ['long-polling', 'callback-polling'] as const) {
    describe(`one browser, two sessions [${kind} server, ${transport}]`, () => {
      it.skipIf(!PROFILES[kind].multipleClientsAdvice)(
        'answers the second held poll at once with multiple-clients advice',
        async () => {
          const server = await startServer(kind);
          const jar = new CookieJar();
          const driver = () =>
            transport === 'long-polling'
              ? new PollingDriver(server.url, 'long-polling', jar)
              : new JsonpDriver(server.url, jar);
          try {
            const first = new Session(driver());
            await first.handshake();
            await first.connect({ timeout: 0 });
            expect(jar.header()).toMatch(/BAYEUX_BROWSER=/);
            const second = new Session(driver());
            await second.handshake();
            await second.connect({ timeout: 0 });
            const held = (await first.connectHeld(server)).pending;
            // The browser already holds one poll: the other tab must not be held (2 connections max).
            const { value, ms } = await timed(second.connect());
            expect(ms).toBeLessThan(1000);
            expect(value.reply.successful).toBe(true);
            expect(value.reply.advice).toMatchObject({
              'multiple-clients': true,
              reconnect: 'retry',
              interval: 2000,
            });
            // The first tab's poll is still held and still works.
            await first.subscribe('/tab');
            await server.publish('/tab', 'for the first tab');
            const { batch } = await held;
            expect(batch.filter((m) => m.channel === '/tab').map((m) => m.data)).toEqual([
              'for the first tab',
            ]);
          } finally {
            await server.close();
          }
        },
      );
    });
  }
}

matrix('minimumVersion', (ctx) => {
  it.skipIf(!ctx.profile.checksMinimumVersion)(
    'fails a handshake whose minimumVersion is above 1.0',
    async () => {
      const d = await ctx.driver();
      const type = ctx.transport === 'short-polling' ? 'long-polling' : ctx.transport;
      const batch = await d.send({
        channel: '/meta/handshake',
        version: '2.0',
        minimumVersion: '2.0',
        supportedConnectionTypes: [type],
        id: 'v',
      });
      const reply = batch.find((m) => m.id === 'v');
      expect(reply).toMatchObject({ channel: '/meta/handshake', successful: false });
      expect(reply?.error).toMatch(/^\d{3}:/);
      expect(reply?.clientId).toBeUndefined();
    },
  );

  it('accepts a handshake with version 1.0 and minimumVersion 0.9', async () => {
    const d = await ctx.driver();
    const type = ctx.transport === 'short-polling' ? 'long-polling' : ctx.transport;
    const batch = await d.send({
      channel: '/meta/handshake',
      version: '1.0',
      minimumVersion: '0.9',
      supportedConnectionTypes: [type],
      id: 'v',
    });
    expect(batch.find((m) => m.id === 'v')).toMatchObject({ successful: true });
  });
});
