// RFC 6455 5.2: the checks on a frame header's fields, as pure functions of the bytes and of where the
// current message stands. Each returns the error to fail the connection with, or null; the receiver's state
// machine (receiver.ts) reads the bytes and acts on the answer.

import { WebSocketError } from './errors.js';
import { OPCODE } from './frame.js';

/**
 * The error in the first two header bytes `b0` `b1`, or null. `messageOpcode` is the opcode of the data
 * message in progress (0 when none), `canInflate` says permessage-deflate was negotiated.
 */
export function headerError(
  b0: number,
  b1: number,
  messageOpcode: number,
  canInflate: boolean,
  isServer: boolean,
): WebSocketError | null {
  // RFC 6455 5.2: RSV2/RSV3 are never negotiated here; RSV1 only with permessage-deflate.
  if ((b0 & 0x30) !== 0)
    return new WebSocketError('WS_ERR_UNEXPECTED_RSV_2_3', 'RSV2 and RSV3 must be clear');
  const rsv1 = (b0 & 0x40) !== 0;
  const opcode = b0 & 0x0f;
  if (opcode === OPCODE.CONTINUATION) {
    if (messageOpcode === 0) {
      return new WebSocketError(
        'WS_ERR_UNEXPECTED_CONTINUATION',
        'continuation frame without a message to continue',
      );
    }
    // RFC 7692 6: RSV1 is set on the first frame of a compressed message only.
    if (rsv1)
      return new WebSocketError('WS_ERR_UNEXPECTED_RSV_1', 'RSV1 must be clear on continuation frames');
  } else if (opcode === OPCODE.TEXT || opcode === OPCODE.BINARY) {
    if (messageOpcode !== 0) {
      return new WebSocketError(
        'WS_ERR_EXPECTED_CONTINUATION',
        'new data frame before the fragmented message ended',
      );
    }
    if (rsv1 && !canInflate) {
      return new WebSocketError('WS_ERR_UNEXPECTED_RSV_1', 'RSV1 must be clear: no extension was negotiated');
    }
  } else if (opcode === OPCODE.CLOSE || opcode === OPCODE.PING || opcode === OPCODE.PONG) {
    // RFC 6455 5.5: control frames are never fragmented and carry at most 125 bytes.
    if ((b0 & 0x80) === 0)
      return new WebSocketError('WS_ERR_EXPECTED_FIN', 'control frames must not be fragmented');
    if (rsv1) return new WebSocketError('WS_ERR_UNEXPECTED_RSV_1', 'RSV1 must be clear on control frames');
    if ((b1 & 0x7f) > 125) {
      return new WebSocketError(
        'WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH',
        'control frame payload longer than 125 bytes',
      );
    }
  } else {
    return new WebSocketError('WS_ERR_INVALID_OPCODE', `reserved opcode 0x${opcode.toString(16)}`);
  }
  // RFC 6455 5.1: the server refuses unmasked frames, the client refuses masked ones.
  const masked = (b1 & 0x80) !== 0;
  if (isServer && !masked) return new WebSocketError('WS_ERR_EXPECTED_MASK', 'client frames must be masked');
  if (!isServer && masked)
    return new WebSocketError('WS_ERR_UNEXPECTED_MASK', 'server frames must not be masked');
  return null;
}

/** The error in the high 32 bits of a 64-bit payload length, or null. */
export function length64Error(high: number): WebSocketError | null {
  // RFC 6455 5.2: "the most significant bit MUST be 0".
  if (high & 0x80000000) {
    return new WebSocketError('WS_ERR_INVALID_PAYLOAD_LENGTH', '64-bit payload length with MSB set');
  }
  if (high > 0x1fffff) {
    return new WebSocketError(
      'WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH',
      'payload length above 2^53 - 1 is not supported',
    );
  }
  return null;
}
