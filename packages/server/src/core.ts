// The state every handler shares, and the small reply helpers. Kept apart from server.ts so the meta
// handlers, publish path and transports depend on this narrow shape, not on the public class.

import type { Advice, Message } from '@pushwire/bayeux';
import type { Admission } from './admission.js';
import type { AuthorizerRegistry } from './authorizers.js';
import type { ChannelFeatures } from './channel-features.js';
import type { Engine } from './engine/engine.js';
import type { BayeuxEmitter } from './events.js';
import type { ExtensionPipeline } from './extensions.js';
import type { HeldConnects } from './held-connects.js';
import type { RequestContext, ResolvedOptions, TransportName } from './options.js';
import type { ServiceRegistry } from './services.js';
import type { SocketPush } from './socket-push.js';
import type { StatsCounter } from './stats.js';
import type { TakeRecorder } from './taken-messages.js';
import type { HoldSignal } from './transports/close-signal.js';

/** What binds a client named over a WebSocket to that socket (the transport's per-socket object). */
export interface ClientBinder {
  bindClient(clientId: string): void;
}

/** Where held connect replies go: told when a hold starts, then given its reply (and what rides it). */
export interface HeldReplySink {
  /** A connect is now held (its heldReply follows, exactly once). */
  heldStarted(): void;
  heldReply(messages: string[]): void;
}

/** Context of one incoming batch (one HTTP request or one WebSocket frame). */
export interface BatchContext extends RequestContext {
  transport: TransportName;
  /** BAYEUX_BROWSER cookie value (HTTP transports). */
  browserId?: string;
  /** Aborted when the request or socket goes away; a held connect is then dropped without its queue. */
  signal?: HoldSignal;
  /** The socket a handshake or connect over a WebSocket binds its client to (pushes go there). */
  binder?: ClientBinder;
  /**
   * Where a held connect's reply goes when released (the websocket's per-socket object). Without it the
   * dispatcher hands back a Promise instead (HTTP: the response waits on it).
   */
  replies?: HeldReplySink;
  /** The connection the batch came over (the TCP socket), keying maxHandshakesPerConnection. */
  connection?: object;
  /**
   * What this batch's connect replies take from the queue, given back if the response or socket is gone
   * before it is written (taken-messages.ts; the websocket's per-socket object, socket-session.ts).
   */
  taken?: TakeRecorder;
}

export interface Core {
  readonly options: ResolvedOptions;
  readonly engine: Engine;
  readonly extensions: ExtensionPipeline;
  readonly services: ServiceRegistry;
  readonly authorizers: AuthorizerRegistry;
  /** History and presence per channel pattern (options.channels). */
  readonly features: ChannelFeatures;
  readonly events: BayeuxEmitter;
  /** The /meta/connect requests held on this node (hold.ts owns each hold). */
  readonly held: HeldConnects;
  /** Which socket each websocket client's pushes go to, and the push scheduler (the fan-out). */
  readonly sockets: SocketPush;
  /** Connection and handshake limits of this node (admission.ts). */
  readonly admission: Admission;
  /** Counters of refusals and aborted requests (`server.stats`). */
  readonly stats: StatsCounter;
  /** True while close() runs: new handshakes are refused, held connects released. */
  closing: boolean;
  /** True when the engine was created by the server (its sessions die with it). */
  readonly ownsEngine: boolean;
  /**
   * Reports an unexpected error (never thrown across the wire). A function property, not a method: it is
   * passed as it is to `.catch()` (no closure per call).
   */
  readonly reportError: (err: unknown) => void;
}

/**
 * Engine client state (Engine.getClientState) set at handshake and taken by the first /meta/connect, which
 * is answered at once (CometD). In the engine, not in this process: with a shared engine the first
 * connect may reach another node than the handshake did.
 */
export const FIRST_CONNECT_STATE = 'first-connect';

/** Bayeux §3.8: replies to /meta/** MUST carry the request id; we echo it on every reply. */
export function replyTo(request: Message, fields: Omit<Message, 'channel'>): Message {
  const reply: Message = { channel: request.channel, ...fields };
  if (request.id !== undefined) reply.id = request.id;
  return reply;
}

export function failure(request: Message, error: string, extra?: Omit<Message, 'channel'>): Message {
  return replyTo(request, { successful: false, error, ...extra });
}

/** Advice for an unknown client, on every reply type (DESIGN.md "Errors are data"). */
export const HANDSHAKE_ADVICE: Advice = { reconnect: 'handshake', interval: 0 };

/** Client ids and message ids arrive as JSON: accept strings (and numbers for ids, echoed verbatim). */
export function clientIdOf(message: Message): string | undefined {
  return typeof message.clientId === 'string' && message.clientId.length > 0 ? message.clientId : undefined;
}
