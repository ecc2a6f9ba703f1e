// The receiver's fast path (receiver.ts): recognises, at an offset in a chunk from the socket, a frame the
// common case consists of (a whole unfragmented data message of at most 125 bytes, RFC 6455 5.2), so that
// it can be delivered straight from the chunk. Anything else is left to the state machine, which checks
// everything itself: this only says "the simple case, complete", never "invalid".

import { OPCODE } from './frame.js';

/**
 * The header length (2, or 6 with a masking key) of the frame at `off` when it is a final text or binary
 * frame with RSV1-3 clear, a 7-bit payload length (<= 125) within `maxPayload`, masked exactly when
 * `isServer` (RFC 6455 5.1), and its whole payload in `chunk`; 0 otherwise.
 */
export function wholeSmallFrame(chunk: Buffer, off: number, isServer: boolean, maxPayload: number): number {
  if (chunk.length - off < 2) return 0;
  const b0 = chunk[off]!;
  // RFC 6455 5.2: FIN set, RSV1-3 clear (no compression), opcode 1 or 2: 0x81 or 0x82 exactly.
  if (b0 !== (0x80 | OPCODE.TEXT) && b0 !== (0x80 | OPCODE.BINARY)) return 0;
  const b1 = chunk[off + 1]!;
  if (((b1 & 0x80) !== 0) !== isServer) return 0;
  const length = b1 & 0x7f;
  if (length > 125 || length > maxPayload) return 0;
  const header = isServer ? 6 : 2;
  return chunk.length - off >= header + length ? header : 0;
}
