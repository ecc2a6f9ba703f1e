// Close frame bodies and close codes (RFC 6455 5.5.1, 7.4): a pure codec. The closing handshake that sends
// and answers them (RFC 6455 7.1.2-7.1.5, with its closeTimeout) is close-handshake.ts.
import { isUtf8 } from 'node:buffer';
import { WebSocketError } from './errors.js';

export const CLOSE_CODES = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  PROTOCOL_ERROR: 1002,
  UNSUPPORTED_DATA: 1003,
  /** RFC 6455 7.4.1: reserved, never on the wire: "no status code was actually present". */
  NO_STATUS: 1005,
  /** RFC 6455 7.4.1: reserved, never on the wire: the connection closed without a close frame. */
  ABNORMAL: 1006,
  INVALID_PAYLOAD: 1007,
  POLICY_VIOLATION: 1008,
  MESSAGE_TOO_BIG: 1009,
  MANDATORY_EXTENSION: 1010,
  INTERNAL_ERROR: 1011,
} as const;

/** RFC 6455 5.5: control frame payloads are at most 125 bytes, so a reason is at most 123 bytes. */
export const MAX_CLOSE_REASON_BYTES = 123;

/**
 * Codes that may appear in a close frame (RFC 6455 7.4.1/7.4.2 and the IANA registry): 1000-1003 and
 * 1007-1014 defined by the protocol (1004 reserved; 1005, 1006, 1015 must never be sent), 3000-3999 registered
 * for libraries and frameworks, 4000-4999 private use.
 */
export function isValidCloseCode(code: number): boolean {
  return (
    (code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) ||
    (code >= 3000 && code <= 4999)
  );
}

/** Builds a close frame body: empty when no code is given (RFC 6455 5.5.1: the body is optional). */
export function encodeClosePayload(code?: number, reason: string | Uint8Array = ''): Buffer {
  if (code === undefined) {
    if ((typeof reason === 'string' ? reason.length : reason.byteLength) > 0) {
      throw new WebSocketError('WS_ERR_INVALID_CLOSE_CODE', 'a close reason needs a close code');
    }
    return Buffer.alloc(0);
  }
  if (!isValidCloseCode(code)) {
    throw new WebSocketError(
      'WS_ERR_INVALID_CLOSE_CODE',
      `close code ${code} may not be sent (RFC 6455 7.4)`,
    );
  }
  const reasonLength = typeof reason === 'string' ? Buffer.byteLength(reason) : reason.byteLength;
  if (reasonLength > MAX_CLOSE_REASON_BYTES) {
    throw new WebSocketError(
      'WS_ERR_CLOSE_REASON_TOO_LONG',
      `close reason is ${reasonLength} bytes; at most ${MAX_CLOSE_REASON_BYTES} fit a control frame`,
    );
  }
  const body = Buffer.allocUnsafe(2 + reasonLength);
  body.writeUInt16BE(code, 0);
  if (typeof reason === 'string') body.write(reason, 2, 'utf8');
  else body.set(reason, 2);
  return body;
}

/** Truncates a reason to fit in a close frame without splitting a UTF-8 sequence. */
export function truncateReason(reason: string): string {
  const bytes = Buffer.from(reason);
  if (bytes.length <= MAX_CLOSE_REASON_BYTES) return reason;
  let end = MAX_CLOSE_REASON_BYTES;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8');
}

/**
 * Reads a received close frame body (RFC 6455 5.5.1): empty means "no status" (reported as 1005, 7.1.5);
 * otherwise a 2-byte code that may be sent, then a UTF-8 reason. Returns the error to fail with otherwise.
 */
export function decodeClosePayload(payload: Buffer): { code: number; reason: Buffer } | WebSocketError {
  if (payload.length === 0) return { code: CLOSE_CODES.NO_STATUS, reason: payload };
  if (payload.length === 1)
    return new WebSocketError('WS_ERR_INVALID_CLOSE_PAYLOAD', 'close frame body of 1 byte');
  const code = payload.readUInt16BE(0);
  if (!isValidCloseCode(code))
    return new WebSocketError('WS_ERR_INVALID_CLOSE_CODE', `invalid close code ${code}`);
  const reason = payload.subarray(2);
  if (!isUtf8(reason)) return new WebSocketError('WS_ERR_INVALID_UTF8', 'close reason is not valid UTF-8');
  return { code, reason };
}
