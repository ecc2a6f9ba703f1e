import { describe, expect, it } from 'vitest';
import type { WebSocketError } from '../src/errors.js';
import { encodeFrame, OPCODE } from '../src/frame.js';
import { type Inflater, Receiver, type ReceiverLimits } from '../src/receiver.js';

type Event =
  | ['message', string, boolean]
  | ['ping' | 'pong', string]
  | ['close', number, string]
  | ['error', string, number];

const LIMITS: ReceiverLimits = { maxPayload: 1024, maxFragments: 8, maxBufferedChunks: 8 };

function make(isServer = true, limits: Partial<ReceiverLimits> = {}, inflater: Inflater | null = null) {
  const events: Event[] = [];
  const receiver = new Receiver(
    {
      onMessage: (data, isBinary) =>
        events.push(['message', isBinary ? data.toString('hex') : data.toString(), isBinary]),
      onPing: (data) => events.push(['ping', data.toString('hex')]),
      onPong: (data) => events.push(['pong', data.toString('hex')]),
      onClose: (code, reason) => events.push(['close', code, reason.toString()]),
      onError: (err: WebSocketError) => events.push(['error', err.code, err.closeCode]),
    },
    isServer,
    { ...LIMITS, ...limits },
    inflater,
  );
  return { receiver, events };
}

const hex = (h: string) => Buffer.from(h.replace(/\s/g, ''), 'hex');
const masked = (opcode: number, payload: string | Buffer, fin = true, rsv1 = false) =>
  encodeFrame(opcode, payload, { mask: true, fin, rsv1 });

describe('Receiver: RFC 6455 5.7 examples', () => {
  it('reads an unmasked "Hello" on the client side', () => {
    const { receiver, events } = make(false);
    receiver.write(hex('810548656c6c6f'));
    expect(events).toEqual([['message', 'Hello', false]]);
  });

  it('reads a masked "Hello" on the server side', () => {
    const { receiver, events } = make(true);
    receiver.write(hex('818537fa213d7f9f4d5158'));
    expect(events).toEqual([['message', 'Hello', false]]);
  });

  it('reads a fragmented message with a ping in between', () => {
    const { receiver, events } = make(false);
    receiver.write(hex('010348656c 890548656c6c6f 80026c6f'));
    expect(events).toEqual([
      ['ping', '48656c6c6f'],
      ['message', 'Hello', false],
    ]);
  });

  it('reads every split of a stream byte by byte', () => {
    const stream = Buffer.concat([
      masked(OPCODE.TEXT, 'héllo', false),
      masked(OPCODE.PONG, 'p'),
      masked(OPCODE.CONTINUATION, ' wörld'),
      masked(OPCODE.BINARY, Buffer.alloc(300, 7)),
      masked(OPCODE.BINARY, Buffer.alloc(0)),
      masked(OPCODE.CLOSE, Buffer.from('03e8627965', 'hex')),
    ]);
    const { receiver, events } = make(true, { maxBufferedChunks: 1000 });
    for (const b of stream) receiver.write(Buffer.of(b));
    expect(events).toEqual([
      ['pong', '70'],
      ['message', 'héllo wörld', false],
      ['message', '07'.repeat(300), true],
      ['message', '', true],
      ['close', 1000, 'bye'],
    ]);
  });

  it('reads 64-bit lengths', () => {
    const { receiver, events } = make(false, { maxPayload: 70000 });
    receiver.write(encodeFrame(OPCODE.BINARY, Buffer.alloc(65536, 1)));
    expect(events.length).toBe(1);
    expect((events[0]![1] as string).length).toBe(65536 * 2);
  });

  it('ignores everything after a close frame', () => {
    const { receiver, events } = make(false);
    receiver.write(Buffer.concat([hex('8800'), hex('810548656c6c6f')]));
    expect(events).toEqual([['close', 1005, '']]);
  });
});

describe('Receiver: protocol errors', () => {
  const cases: [string, boolean, string, string, number][] = [
    ['unmasked client frame', true, '810548656c6c6f', 'WS_ERR_EXPECTED_MASK', 1002],
    ['masked server frame', false, '818537fa213d7f9f4d5158', 'WS_ERR_UNEXPECTED_MASK', 1002],
    ['RSV1 without extension', false, 'c100', 'WS_ERR_UNEXPECTED_RSV_1', 1002],
    ['RSV2', false, 'a100', 'WS_ERR_UNEXPECTED_RSV_2_3', 1002],
    ['RSV3', false, '9100', 'WS_ERR_UNEXPECTED_RSV_2_3', 1002],
    ['reserved opcode 3', false, '8300', 'WS_ERR_INVALID_OPCODE', 1002],
    ['reserved opcode 7', false, '8700', 'WS_ERR_INVALID_OPCODE', 1002],
    ['reserved control opcode B', false, '8b00', 'WS_ERR_INVALID_OPCODE', 1002],
    ['reserved control opcode F', false, '8f00', 'WS_ERR_INVALID_OPCODE', 1002],
    ['fragmented ping', false, '0900', 'WS_ERR_EXPECTED_FIN', 1002],
    [
      'ping of 126 bytes',
      false,
      `897e007e${'00'.repeat(126)}`,
      'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH',
      1002,
    ],
    ['continuation first', false, '8000', 'WS_ERR_UNEXPECTED_CONTINUATION', 1002],
    ['text inside fragmented text', false, '0100 8100', 'WS_ERR_EXPECTED_CONTINUATION', 1002],
    ['64-bit length with MSB set', false, '827f8000000000000001', 'WS_ERR_INVALID_PAYLOAD_LENGTH', 1002],
    ['close body of 1 byte', false, '880103', 'WS_ERR_INVALID_CLOSE_PAYLOAD', 1002],
    ['close code 1005', false, '880203ed', 'WS_ERR_INVALID_CLOSE_CODE', 1002],
    ['close code 999', false, '880203e7', 'WS_ERR_INVALID_CLOSE_CODE', 1002],
    ['close reason invalid UTF-8', false, '880403e8c0af', 'WS_ERR_INVALID_UTF8', 1007],
    ['invalid UTF-8 text', false, '8102c0af', 'WS_ERR_INVALID_UTF8', 1007],
    ['truncated UTF-8 at message end', false, '8102e282', 'WS_ERR_INVALID_UTF8', 1007],
    ['truncated UTF-8 across fragments', false, '0101e2 800182', 'WS_ERR_INVALID_UTF8', 1007],
  ];
  it.each(cases)('%s', (_name, isServer, bytes, code, closeCode) => {
    const { receiver, events } = make(isServer);
    receiver.write(hex(bytes));
    receiver.write(hex('810548656c6c6f')); // ignored after the failure
    expect(events).toEqual([['error', code, closeCode]]);
  });

  it('fails fast on the frame that breaks UTF-8, before the message ends', () => {
    const { receiver, events } = make(false);
    receiver.write(hex('0105cebae1bdb9')); // valid so far
    expect(events).toEqual([]);
    receiver.write(hex('0004eda08065')); // surrogate in the second fragment
    expect(events).toEqual([['error', 'WS_ERR_INVALID_UTF8', 1007]]);
  });

  it('fails fast inside a frame that is still arriving (Autobahn 6.4.3)', () => {
    const { receiver, events } = make(true);
    const frame = masked(OPCODE.TEXT, hex('cebae1bdb9cf83cebcceb5 f4908080 656469746564'));
    receiver.write(frame.subarray(0, 6 + 11 + 1)); // header, key, valid text, F4 (still possibly valid)
    expect(events).toEqual([]);
    receiver.write(frame.subarray(18, 20)); // 90: above U+10FFFF, the frame is not over yet
    expect(events).toEqual([['error', 'WS_ERR_INVALID_UTF8', 1007]]);
  });
});

describe('Receiver: limits', () => {
  it('maxPayload: a message of exactly maxPayload passes, one byte more is 1009 before buffering', () => {
    const ok = make(false, { maxPayload: 10 });
    ok.receiver.write(encodeFrame(OPCODE.BINARY, Buffer.alloc(10)));
    expect(ok.events[0]![0]).toBe('message');
    const big = make(false, { maxPayload: 10 });
    big.receiver.write(encodeFrame(OPCODE.BINARY, Buffer.alloc(11)).subarray(0, 2)); // header only
    expect(big.events).toEqual([['error', 'WS_ERR_MESSAGE_TOO_BIG', 1009]]);
  });

  it('maxPayload counts the whole fragmented message', () => {
    const { receiver, events } = make(false, { maxPayload: 10 });
    receiver.write(encodeFrame(OPCODE.BINARY, Buffer.alloc(6), { fin: false }));
    receiver.write(encodeFrame(OPCODE.CONTINUATION, Buffer.alloc(5)));
    expect(events).toEqual([['error', 'WS_ERR_MESSAGE_TOO_BIG', 1009]]);
  });

  it('maxFragments: N frames pass, N+1 is 1008', () => {
    const frames = (n: number) =>
      Buffer.concat(
        Array.from({ length: n }, (_, i) =>
          encodeFrame(i === 0 ? OPCODE.TEXT : OPCODE.CONTINUATION, 'a', { fin: i === n - 1 }),
        ),
      );
    const ok = make(false, { maxFragments: 4, maxBufferedChunks: 100 });
    ok.receiver.write(frames(4));
    expect(ok.events).toEqual([['message', 'aaaa', false]]);
    const bad = make(false, { maxFragments: 4, maxBufferedChunks: 100 });
    bad.receiver.write(frames(5));
    expect(bad.events).toEqual([['error', 'WS_ERR_TOO_MANY_FRAGMENTS', 1008]]);
  });

  it('maxBufferedChunks: N pieces pass, N+1 is 1008', () => {
    const frame = encodeFrame(OPCODE.BINARY, Buffer.from('abcde'));
    const ok = make(false, { maxBufferedChunks: 5 });
    ok.receiver.write(frame.subarray(0, 2));
    for (let i = 2; i < frame.length; i++) ok.receiver.write(frame.subarray(i, i + 1));
    expect(ok.events).toEqual([['message', '6162636465', true]]);
    const frame6 = encodeFrame(OPCODE.BINARY, Buffer.from('abcdef'));
    const bad = make(false, { maxBufferedChunks: 5 });
    bad.receiver.write(frame6.subarray(0, 2));
    for (let i = 2; i < frame6.length; i++) bad.receiver.write(frame6.subarray(i, i + 1));
    expect(bad.events).toEqual([['error', 'WS_ERR_TOO_MANY_CHUNKS', 1008]]);
  });
});

describe('Receiver: compressed messages', () => {
  // A fake inflater that reverses bytes asynchronously: enough to check ordering and RSV1 handling.
  const reverse: Inflater = {
    decompress(data, _fin, cb) {
      setImmediate(() => cb(null, Buffer.from(data).reverse()));
    },
  };

  it('accepts RSV1 on the first frame only and keeps order behind the inflater', async () => {
    const { receiver, events } = make(false, {}, reverse);
    receiver.write(
      Buffer.concat([
        encodeFrame(OPCODE.TEXT, 'cba', { rsv1: true }),
        encodeFrame(OPCODE.TEXT, 'plain'),
        encodeFrame(OPCODE.PING, ''),
      ]),
    );
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(events).toEqual([
      ['message', 'abc', false],
      ['message', 'plain', false],
      ['ping', ''],
    ]);
  });

  it('refuses RSV1 on a continuation frame', () => {
    const { receiver, events } = make(false, {}, reverse);
    receiver.write(Buffer.concat([hex('0100'), hex('c000')]));
    expect(events).toEqual([['error', 'WS_ERR_UNEXPECTED_RSV_1', 1002]]);
  });

  it('reports inflater errors', async () => {
    const failing: Inflater = { decompress: (_d, _f, cb) => cb(new Error('bad data')) };
    const { receiver, events } = make(false, {}, failing);
    receiver.write(encodeFrame(OPCODE.BINARY, 'x', { rsv1: true }));
    expect(events).toEqual([['error', 'WS_ERR_INFLATE_FAILED', 1007]]);
  });
});

describe('Receiver: whole small frames read straight from the chunk (fast path)', () => {
  it('delivers several whole frames of one chunk, then hands a cut-off frame to the state machine', () => {
    const { receiver, events } = make(true);
    const tail = masked(OPCODE.TEXT, 'tail');
    receiver.write(
      Buffer.concat([masked(OPCODE.TEXT, 'a'), masked(OPCODE.BINARY, hex('0102')), tail.subarray(0, 3)]),
    );
    expect(events).toEqual([
      ['message', 'a', false],
      ['message', '0102', true],
    ]);
    receiver.write(tail.subarray(3));
    expect(events.at(-1)).toEqual(['message', 'tail', false]);
  });

  it('leaves control frames, fragments and 126-byte payloads to the state machine, in order', () => {
    const { receiver, events } = make(true);
    receiver.write(
      Buffer.concat([
        masked(OPCODE.TEXT, 'x'),
        masked(OPCODE.PING, 'p'),
        masked(OPCODE.TEXT, 'y'),
        masked(OPCODE.TEXT, 'fr', false),
        masked(OPCODE.CONTINUATION, 'ag'),
        masked(OPCODE.TEXT, 'z'.repeat(126)),
        masked(OPCODE.TEXT, 'w'),
      ]),
    );
    expect(events).toEqual([
      ['message', 'x', false],
      ['ping', Buffer.from('p').toString('hex')],
      ['message', 'y', false],
      ['message', 'frag', false],
      ['message', 'z'.repeat(126), false],
      ['message', 'w', false],
    ]);
  });

  it('fails 1007 on invalid UTF-8, 1009 over maxPayload, 1002 unmasked, and reads nothing after', () => {
    const cases: Array<[Buffer, Partial<ReceiverLimits>, string, number]> = [
      [masked(OPCODE.TEXT, hex('c3')), {}, 'WS_ERR_INVALID_UTF8', 1007],
      [masked(OPCODE.TEXT, 'abc'), { maxPayload: 2 }, 'WS_ERR_MESSAGE_TOO_BIG', 1009],
      [encodeFrame(OPCODE.TEXT, 'abc'), {}, 'WS_ERR_EXPECTED_MASK', 1002],
    ];
    for (const [frame, limits, code, closeCode] of cases) {
      const { receiver, events } = make(true, limits);
      receiver.write(Buffer.concat([masked(OPCODE.TEXT, 'ok'), frame, masked(OPCODE.TEXT, 'after')]));
      expect(events).toEqual([
        ['message', 'ok', false],
        ['error', code, closeCode],
      ]);
    }
  });

  it('keeps bytes a handler writes meanwhile behind the rest of the chunk', () => {
    const events: string[] = [];
    let nested = true;
    const receiver: Receiver = new Receiver(
      {
        onMessage: (data) => {
          events.push(data.toString());
          if (nested) {
            nested = false;
            receiver.write(masked(OPCODE.TEXT, 'nested'));
          }
        },
        onPing: () => {},
        onPong: () => {},
        onClose: () => {},
        onError: (err) => events.push(err.code),
      },
      true,
      LIMITS,
    );
    receiver.write(
      Buffer.concat([masked(OPCODE.TEXT, 'one'), masked(OPCODE.TEXT, 'two'), masked(OPCODE.TEXT, 'three')]),
    );
    // 'nested' was written while 'one' was delivered: its bytes follow the whole first chunk.
    expect(events).toEqual(['one', 'two', 'three', 'nested']);
  });
});
