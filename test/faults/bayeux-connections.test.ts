// Issue 8 item 5 (server part): 19,979 idle upgrades held every descriptor, a bare upgraded socket was still
// open after 95 s and a slow POST body after 106 s. Now: maxConnections counts WebSockets plus HTTP requests
// in flight (held connects too) and refuses past it with 503 + Retry-After; an upgraded socket must name a
// session within handshakeDeadline (else 1008); a POST body must arrive within bodyTimeout (else 408 and
// the connection closes). Each crossed by one, sized for CI.
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type BayeuxHarness, RawBayeuxWs, startBayeux } from './bayeux-support.js';
import { HANDSHAKE, httpRequest, postMessages } from './http-support.js';
import { rawSocket, readAll, until, upgradeRequest } from './support.js';

let h: BayeuxHarness | undefined;
const open: (RawBayeuxWs | Socket)[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) (s instanceof RawBayeuxWs ? s.socket : s).destroy();
  await h?.close();
  h = undefined;
});

async function ws(): Promise<RawBayeuxWs> {
  const c = await RawBayeuxWs.open(h!.port);
  open.push(c);
  return c;
}

/** An upgrade that the server refuses: the whole HTTP answer it sent before closing. */
async function refusedUpgrade(port: number): Promise<string> {
  const s = await rawSocket(port);
  open.push(s);
  const all = readAll(s);
  s.write(upgradeRequest('/bayeux'));
  return (await all).toString('latin1');
}

describe('connections, handshake deadline and body deadline', () => {
  it('maxConnections counts websockets and held HTTP connects; one more is refused with 503 Retry-After', async () => {
    h = await startBayeux({ maxConnections: 3 });
    await ws();
    await ws();
    expect(h.bayeux.connections).toBe(2);
    // A long-polling client whose connect is held: one more connection in flight.
    const hs = (await postMessages(h.port, [HANDSHAKE])).messages[0];
    const clientId = hs?.clientId as string;
    const connect = { channel: '/meta/connect', clientId, connectionType: 'long-polling' };
    await postMessages(h.port, [{ ...connect, id: 'c0' }]);
    const held = postMessages(h.port, [{ ...connect, id: 'c1' }]);
    await until(() => h!.bayeux.heldConnects === 1, 5000, 'connect held');
    expect(h.bayeux.connections).toBe(3);

    const answer = await refusedUpgrade(h.port);
    expect(answer).toMatch(/^HTTP\/1\.1 503 Service Unavailable\r\n/);
    expect(answer).toContain('Retry-After: 5\r\n');
    expect(answer).toContain('too many connections');
    const post = await postMessages(h.port, [HANDSHAKE]);
    expect(post.status).toBe(503);
    expect(post.headers['retry-after']).toBe('5');
    expect(h.bayeux.stats.connections).toBe(2);

    // Other paths are not the mount's: they are still answered (no starvation of the rest of the app).
    expect((await httpRequest(h.port, '/health', undefined)).status).toBe(404);

    // A websocket that goes frees its slot: a new upgrade gets through, and the held connect is still served.
    const first = open.shift() as RawBayeuxWs;
    await first.end();
    await until(() => h!.bayeux.connections === 2, 5000, 'slot released');
    const c = await ws();
    expect(c.ended).toBe(false);
    // Closing answers the held connect (its reply reaches the client); raw sockets go first (they would not
    // answer a close frame).
    for (const s of open.splice(0)) (s instanceof RawBayeuxWs ? s.socket : s).destroy();
    await h.close();
    h = undefined;
    expect((await held).status).toBe(200);
  });

  it('a flood of idle upgrades: maxConnections accepted, the rest refused, all released when they go', async () => {
    h = await startBayeux({ maxConnections: 20 });
    for (let i = 0; i < 20; i++) await ws();
    const refused: string[] = [];
    for (let i = 0; i < 10; i++) refused.push(await refusedUpgrade(h.port));
    expect(refused.every((a) => a.startsWith('HTTP/1.1 503'))).toBe(true);
    for (const s of open.splice(0)) {
      if (s instanceof RawBayeuxWs) await s.end();
      else s.destroy();
    }
    await until(() => h!.bayeux.connections === 0, 5000, 'every slot released');
  });

  it('handshakeDeadline: a bare upgraded socket is closed with 1008; one that handshook stays open', async () => {
    h = await startBayeux({ handshakeDeadline: 300 });
    const idle = await ws();
    const busy = await ws();
    await busy.join('/faults/room');
    expect(await idle.closed()).toEqual({ code: 1008, reason: 'no Bayeux handshake in time' });
    expect(busy.ended).toBe(false);
    expect(h.bayeux.stats['handshake-deadline']).toBe(1);
    // Not a failure of the server: nothing reported as an error, and the socket that handshook still works.
    await h.bayeux.publish('/faults/room', { still: 'here' });
    await busy.waitFrame(() => busy.data('/faults/room').length === 1, 'publish after the deadline');
  });

  it('a message that is not a handshake does not stop the deadline', async () => {
    h = await startBayeux({ handshakeDeadline: 300 });
    const c = await ws();
    c.send([{ channel: '/faults/x', data: 1, id: 'p' }]);
    expect((await c.reply('p')).error).toBe('402::session_unknown');
    expect(await c.closed()).toEqual({ code: 1008, reason: 'no Bayeux handshake in time' });
  });

  it('bodyTimeout: a POST body still incomplete at the deadline gets 408 and the connection closes', async () => {
    h = await startBayeux({ bodyTimeout: 300 });
    let errors = 0;
    h.bayeux.on('error', () => errors++);
    const s = await rawSocket(h.port);
    open.push(s);
    const all = readAll(s);
    s.write(
      'POST /bayeux HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n[{"chan',
    );
    const answer = (await all).toString('latin1');
    expect(answer).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(answer).toContain('body not received within 300 ms');
    expect(h.bayeux.stats['body-timeout']).toBe(1);
    expect(errors).toBe(0);
    await until(() => h!.bayeux.connections === 0, 5000, 'slot released');
    // A body that arrives in time is served as before.
    expect((await postMessages(h.port, [HANDSHAKE])).messages[0]?.successful).toBe(true);
  });
});
