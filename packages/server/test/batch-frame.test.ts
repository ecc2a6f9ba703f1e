// batch-frame.ts: the JSON array of a push, as a joined string when small and as shared pieces when large;
// SharedPayloads keeps each large message's Buffer once for every subscriber, within its bounds.
import { PreparedFrame } from '@pushwire/websocket';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  batchFrame,
  SHARED_BATCH_ENTRIES,
  SHARED_FRAME_MIN,
  SHARED_PAYLOAD_ENTRIES,
  SHARED_PAYLOAD_IDLE_MS,
  SHARED_PAYLOAD_MIN,
  SharedPayloads,
} from '../src/batch-frame.js';

const bytesOf = (frame: string | PreparedFrame): Buffer =>
  typeof frame === 'string' ? Buffer.from(frame) : frame.concat();

afterEach(() => {
  vi.useRealTimers();
});

describe('batchFrame', () => {
  it('joins a small batch into one string, exactly as before', () => {
    expect(batchFrame(['1', '"a"', '{"x":2}'], new SharedPayloads())).toBe('[1,"a",{"x":2}]');
    const justUnder = ['"' + 'a'.repeat(SHARED_FRAME_MIN - 3) + '"'];
    expect(typeof batchFrame(justUnder, new SharedPayloads())).toBe('string');
    const atMin = ['"' + 'a'.repeat(SHARED_FRAME_MIN - 2) + '"'];
    expect(batchFrame(atMin, new SharedPayloads())).toBeInstanceOf(PreparedFrame);
  });

  it('a large batch is byte-identical to the joined JSON array, small and large messages mixed, UTF-8', () => {
    const big = (c: string) => JSON.stringify({ channel: '/a', data: c.repeat(SHARED_FRAME_MIN + 1) });
    const cases = [
      [big('x')],
      ['1', big('é'), '2', '3', big('y'), big('€'), '"z"'],
      [big('a'), '{"s":"ü"}', big('b')],
    ];
    for (const messages of cases) {
      const frame = batchFrame(messages, new SharedPayloads());
      expect(frame).toBeInstanceOf(PreparedFrame);
      const expected = Buffer.from(`[${messages.join(',')}]`);
      expect(bytesOf(frame).equals(expected)).toBe(true);
      expect((frame as PreparedFrame).length).toBe(expected.length);
      expect(JSON.parse(bytesOf(frame).toString())).toEqual(messages.map((m) => JSON.parse(m)));
    }
  });

  it('the same message in many batches is ONE shared Buffer', () => {
    const payloads = new SharedPayloads();
    const message = JSON.stringify({ channel: '/a', data: 'm'.repeat(64 * 1024) });
    const frames = Array.from({ length: 50 }, () => batchFrame([message], payloads) as PreparedFrame);
    const shared = new Set(frames.map((f) => f.payload[1]));
    expect(shared.size).toBe(1);
    expect([...shared][0]?.length).toBe(message.length);
  });
});

describe('batchFrame: one small batch to many sockets', () => {
  const m1 = JSON.stringify({ channel: '/chat/1', data: { t: 'é' } });
  const m2 = JSON.stringify({ channel: '/chat/1', data: { t: 2 } });

  it('the first time a joined string; again: ONE PreparedFrame for every later socket, same bytes', () => {
    const payloads = new SharedPayloads();
    const first = batchFrame([m1, m2], payloads);
    expect(first).toBe(`[${m1},${m2}]`);
    const second = batchFrame([m1, m2], payloads);
    expect(second).toBeInstanceOf(PreparedFrame);
    expect(batchFrame([m1, m2], payloads)).toBe(second);
    expect(bytesOf(second).equals(Buffer.from(first as string))).toBe(true);
  });

  it('a different batch is not mistaken for a remembered one', () => {
    const payloads = new SharedPayloads();
    batchFrame([m1, m2], payloads);
    expect(batchFrame([m1], payloads)).toBe(`[${m1}]`);
    expect(batchFrame([m2, m1], payloads)).toBe(`[${m2},${m1}]`);
    expect(bytesOf(batchFrame([m1], payloads)).toString()).toBe(`[${m1}]`);
  });

  it("the caller's array may change afterwards: the remembered batch is a copy", () => {
    const payloads = new SharedPayloads();
    const queue = [m1];
    batchFrame(queue, payloads);
    queue.push(m2); // a held connect appends its reply to what it took
    expect(bytesOf(batchFrame([m1], payloads)).toString()).toBe(`[${m1}]`);
  });

  it(`remembers at most ${SHARED_BATCH_ENTRIES} batches, and forgets them once idle`, () => {
    vi.useFakeTimers();
    const payloads = new SharedPayloads();
    const batches = Array.from({ length: SHARED_BATCH_ENTRIES + 1 }, (_, i) => [`{"n":${i}}`]);
    for (const b of batches) batchFrame(b, payloads);
    expect(typeof batchFrame(batches[0]!, payloads)).toBe('string'); // the oldest went
    expect(batchFrame(batches[SHARED_BATCH_ENTRIES]!, payloads)).toBeInstanceOf(PreparedFrame);
    vi.advanceTimersByTime(SHARED_PAYLOAD_IDLE_MS);
    expect(typeof batchFrame(batches[SHARED_BATCH_ENTRIES]!, payloads)).toBe('string');
  });
});

describe('SharedPayloads', () => {
  it(`keeps at most ${SHARED_PAYLOAD_ENTRIES} entries (oldest out first)`, () => {
    const p = new SharedPayloads();
    const texts = Array.from({ length: SHARED_PAYLOAD_ENTRIES + 1 }, (_, i) =>
      `${i}`.padEnd(SHARED_PAYLOAD_MIN, '.'),
    );
    const first = p.bytesOf(texts[0]!);
    for (const t of texts.slice(1, SHARED_PAYLOAD_ENTRIES)) p.bytesOf(t);
    expect(p.size).toBe(SHARED_PAYLOAD_ENTRIES);
    expect(p.bytesOf(texts[0]!) === first).toBe(true); // still there at the limit
    p.bytesOf(texts[SHARED_PAYLOAD_ENTRIES]!); // one more: the oldest goes
    expect(p.size).toBe(SHARED_PAYLOAD_ENTRIES);
    expect(p.bytesOf(texts[0]!) === first).toBe(false);
  });

  it('releases its memory once idle', () => {
    vi.useFakeTimers();
    const p = new SharedPayloads();
    p.bytesOf('x'.repeat(SHARED_PAYLOAD_MIN));
    vi.advanceTimersByTime(SHARED_PAYLOAD_IDLE_MS - 1);
    expect(p.size).toBe(1);
    vi.advanceTimersByTime(1);
    expect(p.size).toBe(0);
  });

  it('equal text in a different string object still finds the entry (content, not identity)', () => {
    const p = new SharedPayloads();
    const a = 'q'.repeat(SHARED_PAYLOAD_MIN);
    const b = ['q'.repeat(SHARED_PAYLOAD_MIN / 2), 'q'.repeat(SHARED_PAYLOAD_MIN / 2)].join('');
    expect(p.bytesOf(b) === p.bytesOf(a)).toBe(true);
  });
});
