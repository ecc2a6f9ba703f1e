// Limits and their defaults, shared by the server and the client. Every limit is a named option with a safe
// default (DESIGN.md "Bounded everything"); ../ERRORS.md lists the error each one raises.
import type { ReceiverLimits } from './receiver.js';

export const DEFAULTS = {
  /** Largest message in bytes (1 MiB); above it the connection is closed with 1009. */
  maxPayload: 1024 * 1024,
  /** Most frames in one message; 100,000 lets Autobahn 9.3/9.4 (4 MiB in 64-byte frames) pass once
   *  maxPayload is raised, while bounding the work an endless run of empty frames causes. 1008 above it. */
  maxFragments: 100_000,
  /** Most payload pieces held for one message (TCP may cut frames into many small Buffers). 1008 above it. */
  maxBufferedChunks: 100_000,
  /** Milliseconds to wait for the peer's close frame (or the server's TCP close) before destroying. */
  closeTimeout: 30_000,
  /** Milliseconds from the TCP connection (or the upgrade request) to an open WebSocket. */
  handshakeTimeout: 10_000,
  /** Largest opening handshake request head in bytes (431 above it). */
  maxHeaderSize: 16 * 1024,
  /**
   * Unread output in bytes (bufferedAmount: frames queued, being compressed, or in the socket's buffer)
   * above which the connection stops reading from its peer until the output drains.
   */
  maxBufferedAmount: 4 * 1024 * 1024,
  /** Milliseconds the unread output may stay above maxBufferedAmount; then the connection fails (1008). */
  backpressureTimeout: 30_000,
  /** Milliseconds a data message may take from its first frame to its last byte; then 1008. */
  fragmentTimeout: 30_000,
  /** Server: most connections, open and in their opening handshake; 503 with Retry-After above it. */
  maxConnections: 16_384,
  /** Server: the Retry-After (seconds) of the 503 answered past maxConnections. */
  retryAfter: 5,
} as const;

/** The per-connection limits, one object shared by every connection of a server. */
export interface ConnectionLimits extends ReceiverLimits {
  closeTimeout: number;
  maxBufferedAmount: number;
  backpressureTimeout: number;
  fragmentTimeout: number;
}

/** The per-connection limits of servers and clients; DEFAULTS has each default, ../README.md more. */
export interface LimitOptions {
  /** Largest message in bytes (summed over its frames; inflated size with permessage-deflate). 1009 above. */
  maxPayload?: number;
  /** Most frames in one message. 1008 above. */
  maxFragments?: number;
  /** Most payload pieces held for one message. 1008 above. */
  maxBufferedChunks?: number;
  /** Milliseconds to wait for the closing handshake to complete before destroying the socket. */
  closeTimeout?: number;
  /**
   * Unread output in bytes above which the connection stops reading from the peer (pongs and close
   * replies included: a peer that never reads cannot grow our memory). Default 4 MiB.
   */
  maxBufferedAmount?: number;
  /** Milliseconds the output may stay above maxBufferedAmount before the connection fails with 1008. */
  backpressureTimeout?: number;
  /** Milliseconds a data message may take from its first frame to its last byte. 1008 past it. */
  fragmentTimeout?: number;
}

/**
 * A positive number option. The house rule for configuration errors (every option of this package): a
 * value of the wrong type is a TypeError, a value of the right type out of range a RangeError; options
 * that conflict (an object of the wrong shape) are a TypeError.
 */
function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number, got ${typeof value}`);
  if (!Number.isFinite(value) || value <= 0) {
    throw new RangeError(`${name} must be a positive number, got ${value}`);
  }
  return value;
}

export function resolveLimits(options: LimitOptions): ConnectionLimits {
  return Object.freeze({
    maxPayload: positive('maxPayload', options.maxPayload, DEFAULTS.maxPayload),
    maxFragments: positive('maxFragments', options.maxFragments, DEFAULTS.maxFragments),
    maxBufferedChunks: positive('maxBufferedChunks', options.maxBufferedChunks, DEFAULTS.maxBufferedChunks),
    closeTimeout: positive('closeTimeout', options.closeTimeout, DEFAULTS.closeTimeout),
    maxBufferedAmount: positive('maxBufferedAmount', options.maxBufferedAmount, DEFAULTS.maxBufferedAmount),
    backpressureTimeout: positive(
      'backpressureTimeout',
      options.backpressureTimeout,
      DEFAULTS.backpressureTimeout,
    ),
    fragmentTimeout: positive('fragmentTimeout', options.fragmentTimeout, DEFAULTS.fragmentTimeout),
  });
}

export { positive as checkPositive };
