// DESIGN.md "one hub": a message published on a channel reaches every subscriber whatever transport
// each one uses, once, in the publisher's order; publishers on every transport too.

import { describe, expect, it } from 'vitest';
import { selectedServers, startServer } from './support/servers.js';
import { Session } from './support/session.js';
import { TRANSPORTS } from './support/transport.js';

for (const kind of selectedServers()) {
  describe(`cross-transport fan-out [${kind} server]`, () => {
    it('delivers every publish from every transport to subscribers on every transport', async () => {
      const server = await startServer(kind);
      const sessions: Session[] = [];
      try {
        const subs = await Promise.all(TRANSPORTS.map((t) => Session.open(server, t)));
        const pubs = await Promise.all(TRANSPORTS.map((t) => Session.open(server, t)));
        sessions.push(...subs, ...pubs);
        for (const s of subs) expect((await s.subscribe('/hub/**')).successful).toBe(true);
        for (const p of pubs) {
          for (let n = 0; n < 3; n++) {
            expect((await p.publish(`/hub/${p.transport}`, { from: p.transport, n })).successful).toBe(true);
          }
        }
        for (const s of subs) {
          for (const p of pubs) {
            await s.receive((m) => m.channel === `/hub/${p.transport}` && (m.data as { n: number }).n === 2);
            const got = s.on(`/hub/${p.transport}`).map((m) => (m.data as { n: number }).n);
            expect(got, `${p.transport} -> ${s.transport}`).toEqual([0, 1, 2]);
          }
        }
      } finally {
        await Promise.all(sessions.map((s) => s.close()));
        await server.close();
      }
    });
  });
}
