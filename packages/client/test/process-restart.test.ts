// The server PROCESS is killed (SIGKILL: no goodbye, no advice) and started again on the same port: the
// client backs off, re-handshakes, re-subscribes, and delivers what is published afterwards exactly once.

import type { ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { Client, type TransportName } from '../src/index.js';
import { collector } from './helpers.js';
import { kill, startProcess } from './server-process.js';

describe('server process killed and restarted', () => {
  const children: ChildProcess[] = [];
  const clients: Client[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.disconnect();
    for (const child of children.splice(0)) await kill(child);
  });

  it.each<TransportName>(['websocket', 'long-polling'])('over %s', async (transport) => {
    const first = await startProcess('server-process.ts');
    children.push(first.child);
    const url = `http://127.0.0.1:${first.port}/bayeux`;
    const options = { transports: [transport], backoffIncrement: 50, maxBackoff: 200, backoffJitter: 0 };
    const subscriber = new Client(url, options);
    const publisher = new Client(url, { ...options, transports: ['long-polling' as const] });
    clients.push(subscriber, publisher);
    const inbox = collector<[unknown]>();
    await subscriber.subscribe('/feed', inbox.handler);
    await publisher.publish('/feed', 'before');
    expect((await inbox.next())[0]).toBe('before');

    const handshakes = collector<[unknown, boolean]>();
    subscriber.on('handshake', handshakes.handler);
    const resubscribed = collector<[string]>();
    subscriber.on('subscribed', resubscribed.handler);
    await kill(first.child);
    const second = await startProcess('server-process.ts', first.port);
    children.push(second.child);
    const [, reestablished] = await handshakes.next();
    expect(reestablished).toBe(true);
    // The 'subscribed' event tells when the new server has the subscription again.
    expect((await resubscribed.next())[0]).toBe('/feed');
    await publisher.publish('/feed', 'after');
    expect((await inbox.next())[0]).toBe('after');
    expect(inbox.items.map(([d]) => d)).toEqual(['before', 'after']);
  });
});
