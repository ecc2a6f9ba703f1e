// The extension pipeline (order, async hooks, drop, failures) and the shipped ack and timesync extensions.

import type { Message } from '@pushwire/bayeux';
import { describe, expect, it } from 'vitest';
import { ExtensionPipeline } from '../src/extensions.js';
import { ackExtension, Client, ClientError, timesyncExtension } from '../src/index.js';
import { collector } from './helpers.js';
import { okReplies, scriptedFetch } from './scripted-fetch.js';

describe('ExtensionPipeline', () => {
  it('runs incoming in registration order and outgoing in reverse, awaiting async hooks', async () => {
    const pipeline = new ExtensionPipeline();
    const order: string[] = [];
    for (const name of ['a', 'b', 'c']) {
      pipeline.add({
        incoming: async (m) => {
          await Promise.resolve();
          order.push(`in:${name}`);
          return m;
        },
        outgoing: (m) => {
          order.push(`out:${name}`);
          return m;
        },
      });
    }
    await pipeline.incoming({ channel: '/x' });
    await pipeline.outgoing({ channel: '/x' });
    expect(order).toEqual(['in:a', 'in:b', 'in:c', 'out:c', 'out:b', 'out:a']);
  });

  it('a hook returning null drops the message and stops the pipeline; undefined keeps it', async () => {
    const pipeline = new ExtensionPipeline();
    const reached: string[] = [];
    pipeline.add({ incoming: () => undefined });
    pipeline.add({ incoming: (m) => (m.channel === '/drop' ? null : m) });
    pipeline.add({
      incoming: (m) => {
        reached.push(m.channel);
        return { ...m, data: 'replaced' };
      },
    });
    expect(await pipeline.incoming({ channel: '/drop' })).toBeNull();
    expect(await pipeline.incoming({ channel: '/keep' })).toEqual({ channel: '/keep', data: 'replaced' });
    expect(reached).toEqual(['/keep']);
  });

  it('a throwing hook becomes CLIENT_EXTENSION; removal works', async () => {
    const pipeline = new ExtensionPipeline();
    const remove = pipeline.add({
      outgoing: () => {
        throw new Error('boom');
      },
    });
    await expect(pipeline.outgoing({ channel: '/x' })).rejects.toMatchObject({ code: 'CLIENT_EXTENSION' });
    remove();
    expect(pipeline.size).toBe(0);
    await expect(pipeline.outgoing({ channel: '/x' })).resolves.toEqual({ channel: '/x' });
  });
});

describe('ack extension (CometD wire)', () => {
  it('negotiates on the handshake, echoes the batch on connects, drops resent duplicates', async () => {
    const connectsSent: Message[] = [];
    let connects = 0;
    const fake = scriptedFetch((messages) => {
      const m = messages[0]!;
      const replies: Message[] = okReplies(messages, { interval: 0 });
      if (m.channel === '/meta/handshake') {
        expect(m.ext?.ack).toBe(true);
        replies[0]!.ext = { ack: true };
      }
      if (m.channel === '/meta/connect') {
        connectsSent.push(m);
        connects++;
        if (connects === 2) {
          replies[0]!.ext = { ack: 1 };
          replies.push({ channel: '/t', id: 'm1', data: 'one' });
        }
        if (connects === 3) {
          // The server did not see our ack yet and resends batch 1 (plus a new message) as batch 2.
          replies[0]!.ext = { ack: 2 };
          replies.push({ channel: '/t', id: 'm1', data: 'one' }, { channel: '/t', id: 'm2', data: 'two' });
        }
      }
      return JSON.stringify(replies);
    });
    const client = new Client('http://127.0.0.1:9/bayeux', {
      transports: ['long-polling'],
      fetch: fake.fetch,
    });
    const ack = ackExtension();
    client.addExtension(ack);
    const inbox = collector<[unknown]>();
    client.subscribe('/t', inbox.handler);
    expect((await inbox.next())[0]).toBe('one');
    expect((await inbox.next())[0]).toBe('two');
    await client.disconnect();
    expect(ack.enabled).toBe(true);
    expect(ack.duplicates).toBe(1);
    expect(inbox.items.map(([d]) => d)).toEqual(['one', 'two']);
    // First connect: batch 0; then each connect acknowledges the batch just received.
    expect(connectsSent.slice(0, 3).map((m) => m.ext?.ack)).toEqual([0, 0, 1]);
  });

  it('stays off (and never de-duplicates) when the server does not support acks', async () => {
    const ack = ackExtension({ dedupWindow: 1 });
    await ack.incoming({ channel: '/meta/handshake', successful: true, ext: {} });
    expect(ack.enabled).toBe(false);
    const m = { channel: '/t', id: '1', data: 1 };
    expect(await ack.incoming({ ...m })).not.toBeNull();
    expect(await ack.incoming({ ...m })).not.toBeNull();
    const connect = await ack.outgoing({ channel: '/meta/connect' });
    expect(connect?.ext?.ack).toBeUndefined();
  });

  it('remembers dedupWindow ids: one more evicts the oldest', async () => {
    const ack = ackExtension({ dedupWindow: 2 });
    await ack.incoming({
      channel: '/meta/handshake',
      successful: true,
      ext: { ack: { enabled: true, batch: 5 } },
    });
    expect(ack.batch).toBe(5);
    for (const id of ['a', 'b']) expect(await ack.incoming({ channel: '/t', id, data: id })).not.toBeNull();
    expect(await ack.incoming({ channel: '/t', id: 'a', data: 'a' })).toBeNull();
    expect(await ack.incoming({ channel: '/t', id: 'c', data: 'c' })).not.toBeNull();
    // 'a' was the oldest of three: forgotten, so it passes again.
    expect(await ack.incoming({ channel: '/t', id: 'a', data: 'a' })).not.toBeNull();
  });
});

describe('timesync extension (CometD wire)', () => {
  it('sends {tc,l,o} on meta messages and computes lag and offset from {tc,ts,p}', async () => {
    let clock = 1000;
    const ts = timesyncExtension({ now: () => clock, maxSamples: 2 });
    const out = await ts.outgoing({ channel: '/meta/connect' });
    expect(out?.ext?.timesync).toEqual({ tc: 1000, l: 0, o: 0 });
    expect((await ts.outgoing({ channel: '/chat' }))?.ext).toBeUndefined();
    // Sent at 1000, server held it 100 ms, received at 1300: lag (300-100)/2 = 100; server clock 5000.
    clock = 1300;
    await ts.incoming({ channel: '/meta/connect', ext: { timesync: { tc: 1000, ts: 5000, p: 100, a: 0 } } });
    expect(ts.getNetworkLag()).toBe(100);
    expect(ts.getTimeOffset()).toBe(5000 - 1000 - 100);
    expect(ts.getServerTime()).toBe(1300 + 3900);
    // Sliding window of maxSamples: a third sample pushes out the first.
    await ts.incoming({ channel: '/meta/connect', ext: { timesync: { tc: 1300, ts: 5300, p: 0 } } });
    await ts.incoming({ channel: '/meta/connect', ext: { timesync: { tc: 1300, ts: 5300, p: 0 } } });
    expect(ts.getNetworkLag()).toBe(0);
    expect(ts.getTimeOffset()).toBe(4000);
  });

  it('ignores malformed samples', async () => {
    const ts = timesyncExtension();
    await ts.incoming({ channel: '/meta/connect', ext: { timesync: { tc: 'x' } } });
    expect(ts.getTimeOffset()).toBe(0);
  });
});

describe('extension failures reach the error event', () => {
  it('an outgoing extension that throws on the handshake stops the client with CLIENT_EXTENSION', async () => {
    const fake = scriptedFetch((messages) => JSON.stringify(okReplies(messages)));
    const client = new Client('http://127.0.0.1:9/bayeux', {
      transports: ['long-polling'],
      fetch: fake.fetch,
    });
    client.addExtension({
      outgoing: () => {
        throw new Error('no token');
      },
    });
    const errors = collector<[Error]>();
    client.on('error', errors.handler);
    const error = await client.connect().catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ClientError);
    expect((error as ClientError).code).toBe('CLIENT_EXTENSION');
    expect(fake.sent).toHaveLength(0);
  });
});
