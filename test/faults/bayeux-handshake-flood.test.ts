// A flood of handshakes from many addresses (a botnet, or one attacker with many IPv6 /64s, reaching us
// through a proxy that writes X-Forwarded-For): the per-address limits do not bind, so what holds is the
// total (maxSessions, refused with back-off advice), and the server keeps answering. Sized for CI: 600
// handshakes from 600 addresses, 8 at a time, over keep-alive connections to 127.0.0.1.
import { Agent } from 'node:http';
import type { Message } from '@pushwire/bayeux';
import { afterEach, describe, expect, it } from 'vitest';
import { type BayeuxHarness, startBayeux } from './bayeux-support.js';
import { HANDSHAKE, postMessages } from './http-support.js';
import { until } from './support.js';

let h: BayeuxHarness | undefined;
const agent = new Agent({ keepAlive: true, maxSockets: 8 });
afterEach(async () => {
  agent.destroy();
  await h?.close();
  h = undefined;
});

function address(i: number): string {
  // Half IPv4, half IPv6 from distinct /64s (so grouping by prefix does not fold them together).
  return i % 2 === 0 ? `198.18.${(i >> 8) & 0xff}.${i & 0xff}` : `2001:db8:${i.toString(16)}:1::1`;
}

describe('handshake flood from many addresses', () => {
  it('maxSessions bounds what 600 addresses get; the rest are refused with back-off; expiry frees the server', async () => {
    h = await startBayeux({
      trustProxy: true,
      maxSessions: 50,
      maxInterval: 200,
      maxHandshakesPerConnection: 1000,
    });
    let expired = 0;
    h.bayeux.on('disconnect', () => {
      expired++;
    });
    const replies: Message[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < 600) {
        const i = next++;
        const { messages } = await postMessages(h!.port, [HANDSHAKE], {
          agent,
          headers: { 'X-Forwarded-For': address(i) },
        });
        replies.push(messages[0] as Message);
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    expect(replies).toHaveLength(600);
    const ok = replies.filter((r) => r.successful === true);
    const refused = replies.filter((r) => r.successful !== true);
    // Sessions expire after 200 ms without a connect, so a slow machine may admit a few more than 50 over
    // the run; never more than the engine holds at once.
    expect(ok.length).toBeGreaterThanOrEqual(50);
    expect(await h.bayeux.engine.clientCount()).toBeLessThanOrEqual(50);
    for (const r of refused) {
      expect(r).toMatchObject({
        error: '403:server,50:sessions_exceeded',
        advice: { reconnect: 'handshake', interval: 5000 },
      });
    }
    expect(h.bayeux.stats.sessions).toBe(refused.length);
    // The flood's sessions never connect: they expire, and a real client gets in again.
    await until(() => expired === ok.length, 10_000, 'the flood to expire');
    expect(await h.bayeux.engine.clientCount()).toBe(0);
    const { messages } = await postMessages(h.port, [HANDSHAKE], {
      headers: { 'X-Forwarded-For': '192.0.2.1' },
    });
    expect(messages[0]?.successful).toBe(true);
  });
});
