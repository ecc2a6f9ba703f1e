// The server on its default engine (the in-memory engine): queue limits and policies, and session expiry.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type BayeuxServer, type BayeuxServerOptions, createBayeuxServer } from '../src/index.js';
import { connect, connectedClient, post, until } from './helpers/http.js';

let bayeux: BayeuxServer | undefined;
let http: Server | undefined;

async function start(options: BayeuxServerOptions): Promise<string> {
  bayeux = createBayeuxServer(options);
  http = createServer();
  bayeux.attach(http);
  await new Promise<void>((r) => http!.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(http.address() as AddressInfo).port}/bayeux`;
}

afterEach(async () => {
  await bayeux?.close();
  http?.closeAllConnections();
  await new Promise<void>((r) => (http ? http.close(() => r()) : r()));
  bayeux = undefined;
  http = undefined;
});

async function subscribed(url: string, channel: string): Promise<string> {
  const c = await connectedClient(url);
  await post(url, [{ channel: '/meta/subscribe', clientId: c, subscription: channel, id: 's' }]);
  return c;
}

describe('default engine', () => {
  it('maxQueue with drop-oldest: the limit is kept, one more drops the oldest', async () => {
    const url = await start({ maxQueue: 3 });
    const c = await subscribed(url, '/q');
    for (let n = 1; n <= 3; n++) await bayeux!.publish('/q', n);
    let { messages } = await post(url, [connect(c, 'a', { advice: { timeout: 0 } })]);
    expect(messages.filter((m) => m.channel === '/q').map((m) => m.data)).toEqual([1, 2, 3]);
    for (let n = 1; n <= 4; n++) await bayeux!.publish('/q', n);
    ({ messages } = await post(url, [connect(c, 'b', { advice: { timeout: 0 } })]));
    expect(messages.filter((m) => m.channel === '/q').map((m) => m.data)).toEqual([2, 3, 4]);
  });

  it("maxQueue with 'disconnect': one message past the limit drops the slow client, which must handshake again", async () => {
    const url = await start({ maxQueue: 2, queuePolicy: 'disconnect' });
    const reasons: string[] = [];
    bayeux!.on('disconnect', (e) => reasons.push(e.reason));
    const c = await subscribed(url, '/q');
    await bayeux!.publish('/q', 1);
    await bayeux!.publish('/q', 2);
    expect(reasons).toEqual([]);
    await bayeux!.publish('/q', 3);
    expect(reasons).toEqual(['slow']);
    const { messages } = await post(url, [connect(c)]);
    expect(messages[0]).toMatchObject({
      error: '402::session_unknown',
      advice: { reconnect: 'handshake', interval: 0 },
    });
  });

  it('expires a client that stops connecting (maxInterval), never one whose connect is held', async () => {
    const url = await start({ maxInterval: 200, timeout: 600 });
    const expired: string[] = [];
    bayeux!.on('disconnect', (e) => expired.push(`${e.clientId}:${e.reason}`));
    const idle = await connectedClient(url);
    const waiting = await connectedClient(url);
    const held = post(url, [connect(waiting)]);
    await until(() => expired.length > 0, 'expiry', 3000);
    expect(expired).toEqual([`${idle}:expired`]);
    const reply = await held;
    expect(reply.messages[0]).toMatchObject({ channel: '/meta/connect', successful: true });
  });
});
