// Pure pieces: JSONP URL splitting and parsing, backoff, the publish queue, advice negotiation.

import type { Message } from '@pushwire/bayeux';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Backoff } from '../src/backoff.js';
import { announcedTypes, negotiate } from '../src/negotiate.js';
import { PublishQueue, type QueuedItem } from '../src/publish-queue.js';
import { Scheduler } from '../src/scheduler.js';
import { jsonpUrl, parseJsonpBody, splitJsonp } from '../src/transports/jsonp-url.js';
import { toWebSocketUrl } from '../src/transports/websocket.js';

describe('callback-polling URLs', () => {
  const base = 'http://h/bayeux';
  const msg = (n: number): Message => ({ channel: '/c', data: 'x'.repeat(n) });

  it('builds ?jsonp=...&message=<urlencoded JSON array>', () => {
    expect(jsonpUrl(base, 'cb', [{ channel: '/a' }])).toBe(
      `${base}?jsonp=cb&message=${encodeURIComponent('[{"channel":"/a"}]')}`,
    );
    expect(jsonpUrl(`${base}?x=1`, 'cb', [])).toContain('?x=1&jsonp=cb');
  });

  it('keeps a batch whole at exactly maxURILength and splits it at one character less', () => {
    const batch = [msg(10), msg(10)];
    const exact = jsonpUrl(base, 'cb', batch).length;
    const whole = splitJsonp(base, 'cb', batch, exact);
    expect(whole.chunks).toHaveLength(1);
    const split = splitJsonp(base, 'cb', batch, exact - 1);
    expect(split.chunks.map((c) => c.messages)).toEqual([[batch[0]], [batch[1]]]);
    for (const chunk of split.chunks) expect(chunk.url.length).toBeLessThanOrEqual(exact - 1);
  });

  it('refuses a single message that cannot fit, without dropping its neighbours', () => {
    const big = msg(500);
    const limit = jsonpUrl(base, 'cb', [big]).length - 1;
    const { chunks, tooLarge } = splitJsonp(base, 'cb', [msg(1), big, msg(2)], limit);
    expect(tooLarge).toEqual([big]);
    expect(chunks.flatMap((c) => c.messages)).toEqual([msg(1), msg(2)]);
  });

  it('parses only the JSON argument of the expected callback, never evaluating script', () => {
    expect(parseJsonpBody('/**/cb([{"channel":"/a"}]);', 'cb')).toEqual({
      ok: true,
      value: [{ channel: '/a' }],
    });
    expect(parseJsonpBody('cb([1])', 'cb')).toEqual({ ok: true, value: [1] });
    expect(parseJsonpBody('/**/other([1]);', 'cb')).toEqual({ ok: false });
    expect(parseJsonpBody('/**/cb(alert(1));', 'cb')).toEqual({ ok: false });
    expect(parseJsonpBody('[1]', 'cb')).toEqual({ ok: false });
  });
});

describe('Backoff', () => {
  it('grows by increment up to the cap, adds jitter, resets', () => {
    const backoff = new Backoff({ increment: 100, max: 250, jitter: 0.5, random: () => 1 });
    expect(backoff.next()).toBe(150);
    expect(backoff.next()).toBe(300);
    expect(backoff.next()).toBe(375);
    expect(backoff.current).toBe(250);
    backoff.reset();
    expect(backoff.current).toBe(0);
    const plain = new Backoff({ increment: 100, max: 1000, jitter: 0.5, random: () => 0 });
    expect(plain.next()).toBe(100);
  });
});

describe('PublishQueue', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  function item(deadline: number, log: string[], name: string): QueuedItem {
    return {
      deadline,
      send: () => log.push(`send:${name}`),
      fail: (e) => log.push(`fail:${name}:${(e as unknown as { code: string }).code}`),
    };
  }

  it('holds max items; one more fails with CLIENT_QUEUE_FULL; drain sends in order', () => {
    const log: string[] = [];
    const queue = new PublishQueue(2);
    const far = Date.now() + 60_000;
    queue.push(item(far, log, 'a'));
    queue.push(item(far, log, 'b'));
    queue.push(item(far, log, 'c'));
    expect(log).toEqual(['fail:c:CLIENT_QUEUE_FULL']);
    queue.drain();
    expect(log).toEqual(['fail:c:CLIENT_QUEUE_FULL', 'send:a', 'send:b']);
    expect(queue.size).toBe(0);
  });

  it('fails an item when its deadline passes (fake timers)', () => {
    vi.useFakeTimers();
    const log: string[] = [];
    const queue = new PublishQueue(10);
    queue.push(item(Date.now() + 100, log, 'soon'));
    queue.push(item(Date.now() + 1000, log, 'later'));
    vi.advanceTimersByTime(99);
    expect(log).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(log).toEqual(['fail:soon:CLIENT_PUBLISH_EXPIRED']);
    queue.drain();
    expect(log).toEqual(['fail:soon:CLIENT_PUBLISH_EXPIRED', 'send:later']);
  });
});

describe('negotiation', () => {
  it('announces wire types once each, short-polling as long-polling', () => {
    expect(announcedTypes(['websocket', 'short-polling', 'long-polling'])).toEqual([
      'websocket',
      'long-polling',
    ]);
  });

  it('picks the first client preference the server supports', () => {
    expect(negotiate(['websocket', 'long-polling'], ['long-polling', 'websocket'])).toBe('websocket');
    expect(negotiate(['websocket', 'long-polling'], ['long-polling'])).toBe('long-polling');
    expect(negotiate(['short-polling'], ['long-polling'])).toBe('short-polling');
    expect(negotiate(['websocket'], ['long-polling'])).toBeUndefined();
  });

  it('derives ws(s) URLs from http(s)', () => {
    expect(toWebSocketUrl('http://h:1/bayeux')).toBe('ws://h:1/bayeux');
    expect(toWebSocketUrl('https://h/bayeux')).toBe('wss://h/bayeux');
  });
});

describe('Scheduler', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs zero delays without a timer (nothing for a background tab to throttle)', async () => {
    const spy = vi.spyOn(globalThis, 'setTimeout');
    try {
      const scheduler = new Scheduler();
      await new Promise<void>((resolve) => scheduler.schedule(resolve, 0));
      expect(spy).not.toHaveBeenCalled();
    } finally {
      spy.mockRestore();
    }
  });

  it('measures how late a timer fired (maxDrift) and can be cancelled', () => {
    vi.useFakeTimers();
    const scheduler = new Scheduler();
    let ran = 0;
    scheduler.schedule(() => ran++, 100);
    const cancel = scheduler.schedule(() => ran++, 100);
    cancel();
    // The host ran the timer 400 ms late, as a throttled background tab would.
    vi.setSystemTime(Date.now() + 400);
    vi.advanceTimersByTime(100);
    expect(ran).toBe(1);
    expect(scheduler.maxDrift).toBeGreaterThanOrEqual(400);
  });
});
