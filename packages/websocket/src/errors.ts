// Every protocol failure goes through one constructor that attaches a stable code and the close code to
// send (RFC 6455 7.4.1). Codes are a literal union so callers can switch on them exhaustively.
// The table with the circumstances of each code is in ../ERRORS.md.

export const WS_ERROR_CODES = {
  WS_ERR_INVALID_OPCODE: 1002,
  WS_ERR_UNEXPECTED_RSV_1: 1002,
  WS_ERR_UNEXPECTED_RSV_2_3: 1002,
  WS_ERR_EXPECTED_FIN: 1002,
  WS_ERR_EXPECTED_MASK: 1002,
  WS_ERR_UNEXPECTED_MASK: 1002,
  WS_ERR_INVALID_CONTROL_PAYLOAD_LENGTH: 1002,
  WS_ERR_INVALID_PAYLOAD_LENGTH: 1002,
  WS_ERR_UNEXPECTED_CONTINUATION: 1002,
  WS_ERR_EXPECTED_CONTINUATION: 1002,
  WS_ERR_INVALID_CLOSE_CODE: 1002,
  WS_ERR_INVALID_CLOSE_PAYLOAD: 1002,
  WS_ERR_CLOSE_REASON_TOO_LONG: 1002,
  WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH: 1009,
  WS_ERR_INVALID_UTF8: 1007,
  WS_ERR_MESSAGE_TOO_BIG: 1009,
  WS_ERR_TOO_MANY_FRAGMENTS: 1008,
  WS_ERR_TOO_MANY_CHUNKS: 1008,
  WS_ERR_FRAGMENT_TIMEOUT: 1008,
  WS_ERR_BACKPRESSURE_TIMEOUT: 1008,
  WS_ERR_INFLATE_FAILED: 1007,
  WS_ERR_INVALID_EXTENSION: 1002,
  WS_ERR_INVALID_URL: 1006,
  WS_ERR_HANDSHAKE_FAILED: 1006,
  WS_ERR_HANDSHAKE_TIMEOUT: 1006,
  WS_ERR_CLOSE_TIMEOUT: 1006,
  WS_ERR_PING_TIMEOUT: 1006,
  WS_ERR_NOT_OPEN: 1006,
} as const;

export type WebSocketErrorCode = keyof typeof WS_ERROR_CODES;

export class WebSocketError extends Error {
  readonly code: WebSocketErrorCode;
  /** The close code to send (RFC 6455 7.4.1); 1006 means "close the TCP connection, send nothing". */
  readonly closeCode: number;

  constructor(code: WebSocketErrorCode, message: string, closeCode: number = WS_ERROR_CODES[code]) {
    super(message);
    this.name = 'WebSocketError';
    this.code = code;
    this.closeCode = closeCode;
  }
}
