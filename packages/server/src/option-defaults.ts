// The defaults of createBayeuxServer's options. Every size/count limit is a named option with a safe
// default (DESIGN.md "Bounded everything"); the timing defaults follow CometD's (bayeux-reference §2.1).

import { CONNECTION_TYPES, DEFAULT_MAX_CHANNEL_SEGMENTS, DEFAULT_VALIDATION_LIMITS } from '@pushwire/bayeux';
import type { QueuePolicy } from './engine/engine.js';
import type { TransportName } from './options.js';

export const DEFAULTS = {
  mount: '/bayeux',
  timeout: 30_000,
  interval: 0,
  // Faye's delivery timeout is setTimeout(0), about 1 ms; 5 ms lets a held connect carry what a busy room
  // publishes meanwhile: 1.6x fewer server CPU-seconds per long-polling delivery than 0 on the chat
  // bench, for at most 5 ms of added latency on a transport whose round trip is a whole HTTP request
  // (bench/README.md, 2026-12-03 quiet run). 0 answers at once.
  deliveryWindow: 5,
  maxInterval: 10_000,
  transports: [
    CONNECTION_TYPES.websocket,
    CONNECTION_TYPES.longPolling,
    CONNECTION_TYPES.callbackPolling,
  ] as TransportName[],
  maxSessionsPerBrowser: 1,
  multiSessionInterval: 2000,
  maxMessageSize: 1024 * 1024,
  maxSocketBuffer: 256 * 1024,
  maxPendingFrames: 16,
  // The same guard as the protocol layer's (one number): requests are bounded by maxMessageSize bytes.
  maxMessagesPerRequest: DEFAULT_VALIDATION_LIMITS.maxMessages,
  maxPendingHandlers: 64,
  maxSubscriptionsPerClient: 100,
  maxSubscriptionBytesPerClient: 32 * 1024,
  maxQueue: 1000,
  maxQueueBytes: 16 * 1024 * 1024,
  maxReplyBytes: 4 * 1024 * 1024,
  queuePolicy: 'drop-oldest' as QueuePolicy,
  maxJsonpCallbackLength: 64,
  maxPresenceInfoBytes: 1024,
  maxHandshakesPerConnection: 50,
  maxHandshakesPerAddress: 1000,
  maxSessions: 100_000,
  maxSessionsPerAddress: 10_000,
  ipv6PrefixLength: 64,
  maxConnections: 10_000,
  handshakeDeadline: 10_000,
  bodyTimeout: 20_000,
  maxChannelSegments: DEFAULT_MAX_CHANNEL_SEGMENTS,
  allowedHosts: [] as readonly string[],
  trustProxy: false,
} as const;

/** The longest deliveryWindow: a window is a batching delay, not a second hold. */
export const MAX_DELIVERY_WINDOW = 1000;
