// What RFC 6455 requires of the endpoint under test, as reusable assertions over a FrameConn.
import { expect } from 'vitest';
import { buildFrame, closeCodeOf, closePayload, describeFrame, type Frame, OP } from './frame.js';
import { DEFAULT_WAIT_MS } from './frame-conn.js';
import type { CaseContext } from './suite.js';

/** RFC 6455 5.1/5.3: a client masks every frame it sends, a server masks none. */
export function expectMasking(ctx: CaseContext, frame: Frame): void {
  expect(frame.masked, `mask bit of ${describeFrame(frame)}`).toBe(ctx.under === 'client');
}

/** The wire bytes this frame should have had, reusing the mask key the peer chose (if any). */
export function expectedBytes(frame: Frame, opcode: number, payload: Buffer, fin = true): Buffer {
  const key = frame.masked
    ? frame.raw.subarray(frame.raw.length - frame.payload.length - 4, frame.raw.length - frame.payload.length)
    : undefined;
  return buildFrame({ opcode, payload, fin, ...(key ? { mask: key } : {}) });
}

/** The next frame is exactly one unfragmented frame with this opcode and payload, byte for byte. */
export async function expectFrame(
  ctx: CaseContext,
  opcode: number,
  payload: Buffer,
  timeoutMs = DEFAULT_WAIT_MS,
): Promise<Frame> {
  const frame = await ctx.conn.nextFrame(timeoutMs);
  expectMasking(ctx, frame);
  expect({ opcode: frame.opcode, fin: frame.fin, rsv: [frame.rsv1, frame.rsv2, frame.rsv3] }).toEqual({
    opcode,
    fin: true,
    rsv: [false, false, false],
  });
  expect(frame.payload.equals(payload), `payload of ${describeFrame(frame)}`).toBe(true);
  expect(frame.raw.equals(expectedBytes(frame, opcode, payload)), 'wire bytes').toBe(true);
  return frame;
}

/** The next message (possibly fragmented by the peer) carries this opcode and payload. */
export async function expectMessage(
  ctx: CaseContext,
  opcode: number,
  payload: Buffer,
  timeoutMs = DEFAULT_WAIT_MS,
): Promise<void> {
  const msg = await ctx.conn.nextMessage(timeoutMs);
  for (const f of msg.frames) {
    expectMasking(ctx, f);
    expect([f.rsv1, f.rsv2, f.rsv3]).toEqual([false, false, false]);
  }
  expect(msg.opcode).toBe(opcode);
  expect(msg.payload.length).toBe(payload.length);
  expect(msg.payload.equals(payload), 'message payload').toBe(true);
}

/** Take the next frame and require a close frame whose code is one of `codes`; returns the frame. */
export async function expectCloseFrame(
  ctx: CaseContext,
  /** `undefined` stands for an empty close body. */
  codes: number | readonly (number | undefined)[],
  timeoutMs = DEFAULT_WAIT_MS,
): Promise<Frame> {
  const frame = await ctx.conn.nextFrame(timeoutMs);
  expect(frame.opcode, `expected a close frame, got ${describeFrame(frame)}`).toBe(OP.CLOSE);
  expectMasking(ctx, frame);
  expect(frame.fin).toBe(true);
  const allowed: readonly (number | undefined)[] = typeof codes === 'number' ? [codes] : codes;
  expect(allowed, `close code in ${describeFrame(frame)}`).toContain(closeCodeOf(frame));
  // RFC 6455 5.5.1: any reason after the code is UTF-8.
  expect(() => new TextDecoder('utf-8', { fatal: true }).decode(frame.payload.subarray(2))).not.toThrow();
  return frame;
}

/**
 * Finish the closing handshake the peer started: answer its close frame (as Autobahn does), then require
 * that the TCP connection goes away. RFC 6455 7.1.1: the server closes TCP first; as the raw server we
 * close it ourselves after answering a client.
 */
export async function finishClose(
  ctx: CaseContext,
  code: number | undefined,
  timeoutMs = DEFAULT_WAIT_MS,
): Promise<void> {
  await ctx.conn.send({ opcode: OP.CLOSE, payload: closePayload(code) });
  if (ctx.under === 'client') ctx.conn.socket.end();
  await ctx.conn.waitTcpClosed(timeoutMs);
}

/**
 * RFC 6455 7.1.7 "Fail the WebSocket Connection": the endpoint sends a close frame with `codes` and the
 * TCP connection is closed. Nothing else may come first (the next frame must be the close).
 */
export async function expectFailure(
  ctx: CaseContext,
  codes: number | readonly number[],
  timeoutMs = DEFAULT_WAIT_MS,
): Promise<void> {
  const frame = await expectCloseFrame(ctx, codes, timeoutMs);
  await finishClose(ctx, closeCodeOf(frame));
  if (ctx.client) {
    await ctx.client.closed;
  }
}

/** A clean close initiated by the raw peer with `code`: the endpoint echoes the code and TCP closes. */
export async function expectCleanClose(ctx: CaseContext, code: number, reason = ''): Promise<void> {
  await ctx.conn.send({ opcode: OP.CLOSE, payload: closePayload(code, reason) });
  const frame = await expectCloseFrame(ctx, code);
  // RFC 6455 5.5.1: "it typically echos the status code it received"; the body is the 2-byte code (+ reason).
  expect(frame.payload.length).toBeGreaterThanOrEqual(2);
  if (ctx.under === 'client') ctx.conn.socket.end();
  await ctx.conn.waitTcpClosed();
  if (ctx.client) {
    const event = await ctx.client.closed;
    expect(event.code).toBe(code);
  }
}

/** Send a message and require it echoed back exactly (unfragmented, byte for byte). */
export async function roundTrip(ctx: CaseContext, opcode: number, payload: Buffer): Promise<void> {
  await ctx.conn.send({ opcode, payload });
  await expectFrame(ctx, opcode, payload);
}
