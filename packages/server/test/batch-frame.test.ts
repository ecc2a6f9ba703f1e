// batch-frame.ts: the JSON array of a push, as a joined string when small and as shared pieces when large;
// SharedPayloads keeps each large message's Buffer once for every subscriber, within its bounds.
import { PreparedFrame } from '@pushwire/websocket';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  batchFrame,
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
