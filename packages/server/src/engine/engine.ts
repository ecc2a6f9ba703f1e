// The Engine: where sessions, subscriptions and per-client queues live. The in-memory engine serves one
// process; the Redis engine (`@pushwire/redis`) serves many behind any load balancer without sticky sessions.
// Every call returns a Promise that can reject (storage errors are never swallowed).
//
// "Encode once" (DESIGN.md): a published message is serialised to JSON once; queues hold that JSON text,
// and the same string is handed to every subscriber that gets the same payload.

import type { HistoryPosition, Message } from '@pushwire/bayeux';

export type { HistoryPosition };

/** One queued delivery: the JSON text of a single Bayeux message, serialised once per publish. */
export type EncodedMessage = string;

/** What Engine.takeQueueWithMore took, and whether it left messages queued. */
export interface QueueTake {
  /** As takeQueue returns them: oldest first. */
  messages: EncodedMessage[];
  /** True when messages are still queued after this take. */
  more: boolean;
}

/** What to do when a client's queue is full. */
export const QUEUE_POLICY = {
  /** Drop the oldest queued message to make room. */
  dropOldest: 'drop-oldest',
  /** Destroy the slow client; it will be told to re-handshake. */
  disconnect: 'disconnect',
} as const;
export type QueuePolicy = (typeof QUEUE_POLICY)[keyof typeof QUEUE_POLICY];

const QUEUE_POLICIES: readonly string[] = Object.values(QUEUE_POLICY);

/**
 * Checks a queuePolicy option (server and engines share this one check). Configuration errors follow one
 * rule across pushwire: TypeError for a value of the wrong type, RangeError for the right type out of range.
 */
export function checkQueuePolicy(value: unknown, where: string): QueuePolicy {
  if (typeof value !== 'string') throw new TypeError(`${where} queuePolicy must be a string`);
  if (!QUEUE_POLICIES.includes(value)) {
    throw new RangeError(
      `${where} queuePolicy must be one of ${QUEUE_POLICIES.map((p) => `'${p}'`).join(', ')}`,
    );
  }
  return value as QueuePolicy;
}

export interface EngineOptions {
  /** Max ms a client may go without a connect (measured from its last reply) before it expires. */
  maxInterval: number;
  /** Max messages queued per client (default 1000). */
  maxQueue: number;
  /**
   * Max bytes queued per client: the sum of the UTF-8 sizes of its encoded messages (default 16 MiB). Past
   * it the queue policy applies, as past maxQueue.
   */
  maxQueueBytes: number;
  queuePolicy: QueuePolicy;
  /** Max subscriptions per client (default 100). */
  maxSubscriptions: number;
  /**
   * Ms between two runs of the expiry sweeper: ONE timer for all clients, never a timer per client
   * (CometD `sweepPeriod`, 997 ms). A client expires between maxInterval and maxInterval + sweepInterval.
   */
  sweepInterval: number;
}

/** Defaults shared by every engine (CometD: maxInterval 10 s; Bayeux server issue: queue and subscription caps). */
export const DEFAULT_ENGINE_OPTIONS: Readonly<EngineOptions> = Object.freeze({
  maxInterval: 10_000,
  maxQueue: 1000,
  maxQueueBytes: 16 * 1024 * 1024,
  queuePolicy: 'drop-oldest',
  maxSubscriptions: 100,
  sweepInterval: 1000,
});

/** Stable codes of engine failures (a rejected engine call). */
export type EngineErrorCode = 'ENGINE_CLOSED' | 'ENGINE_STORAGE';

/** An engine call that failed: the engine was closed, or its storage failed (Redis). Never swallowed. */
export class EngineError extends Error {
  readonly code: EngineErrorCode;
  constructor(code: EngineErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EngineError';
    this.code = code;
  }
}

/** Why a client went away. */
export type DestroyReason = 'disconnect' | 'expired' | 'slow' | 'server-close';

/** Which queue bound made the drop-oldest policy discard messages. */
export type QueueLimit = 'maxQueue' | 'maxQueueBytes';

/** Messages a queue policy discarded (drop-oldest), or that went with a destroyed client's queue. */
export interface DropInfo {
  /** Messages discarded. */
  dropped: number;
  /** Their UTF-8 bytes. */
  bytes: number;
  /** The bound that was crossed (drop-oldest); absent when the queue went with its client. */
  limit?: QueueLimit;
}

/** Receives deliveries for clients connected to this node. Called synchronously by the engine. */
export interface DeliverySink {
  /** New messages were queued for a client with a live binding here. */
  wake(clientId: string): void;
  /**
   * A client was destroyed (expired, slow, disconnected elsewhere). `lost`: the messages still queued for
   * it, discarded with it (optional: engines that cannot tell leave it out).
   */
  destroyed(clientId: string, reason: DestroyReason, lost?: DropInfo): void;
  /** Optional: the drop-oldest policy discarded queued messages of a client (a documented loss). */
  dropped?(clientId: string, info: DropInfo): void;
  /**
   * Optional: true while a /meta/connect of the client is HELD on this node (any transport). The sweeper
   * never expires such a client (Bayeux §4.2.2 and CometD: maxInterval counts from the last connect REPLY,
   * and a held connect may last `timeout`, longer than maxInterval); it counts the client as seen now.
   * An open WebSocket alone is NOT held: a client that stops sending connects over a live socket must
   * still expire (§4.2.2 "act as if a disconnect had been received").
   */
  isHeld?(clientId: string): boolean;
  /**
   * Optional: a client left a presence set because it was destroyed (disconnect, expiry, slow). Called
   * ONCE per leave, on the node whose call or sweeper destroyed the client (a shared engine must not tell
   * every node), after `destroyed`; that node's server publishes the leave event, which reaches watchers
   * on every node through `publish`. Not called for presenceLeave (the caller knows).
   */
  left?(channel: string, member: PresenceMember, count: number, reason: DestroyReason): void;
}

// Positions, history and presence (DESIGN.md "Positions", issue 9). The server decides WHICH channels keep
// history or presence (per channel pattern) and passes the limits with every call, so an engine holds no
// configuration and every node of a cluster applies the same rules.

/** Bounds of one channel's history (the server resolves them from the channel's pattern). */
export interface HistoryLimits {
  /** Most messages kept. */
  size: number;
  /** Ms a message is kept: one exactly `ttl` ms old is gone. */
  ttl: number;
  /** Most bytes (UTF-8 of the stored JSON texts, as queues count them) kept; the oldest go first. */
  maxBytes: number;
  /** Most messages one recovery or read returns; a recovery that needs more is not complete. */
  maxRecovery: number;
}

/**
 * A message's JSON text split where its position goes: the stored and delivered text is
 * `head + '{"offset":N,"epoch":"E"}' + tail` (encodePosition). The server builds it so that `ext.history`
 * is the last member of the message, so an engine (even a Lua script) splices strings, never parses JSON.
 */
export interface PositionTemplate {
  head: string;
  tail: string;
}

/** What a recovering subscriber asks for. */
export type HistoryQuery =
  /** Everything published after `position` (the last one the client saw). */
  | { after: HistoryPosition }
  /** The newest `last` messages. */
  | { last: number };

export interface HistoryRead {
  /** The channel's latest position: the live stream continues after it. */
  position: HistoryPosition;
  /** The messages asked for, oldest first, as stored (positions inside). */
  messages: EncodedMessage[];
  /**
   * True when `messages` is exactly what was asked: for `after`, same epoch and nothing after the position
   * was dropped (size, ttl, bytes) and at most maxRecovery messages were needed; for `last`, `last`
   * messages were returned or the history holds the channel's whole life. When false, `messages` is empty
   * for `after` (the client must reload its state) and the newest available ones for `last`.
   */
  complete: boolean;
}

export interface HistorySubscribeResult extends SubscribeResult {
  /** Present when ok: the read done atomically with the subscription (empty, complete, without a query). */
  read?: HistoryRead;
}

/** One member of a channel's presence set. */
export interface PresenceMember {
  clientId: string;
  /** What the server's `presenceInfo` hook returned at the client's handshake, as JSON text ('null' when none). */
  info: string;
}

export interface PresenceChange {
  /** False when nothing changed (already a member / not a member). */
  changed: boolean;
  /** Members after the change. */
  count: number;
  /** The member that joined or left (with its info); absent when nothing changed. */
  member?: PresenceMember;
}

export interface PresenceSnapshot {
  count: number;
  /** At most `maxMembers` members, in join order; absent when count > maxMembers (large rooms: counts only). */
  members?: PresenceMember[];
}

export interface CreateClientOptions {
  /** JSON text kept with the client and shown in presence sets (bounded by the server). */
  info?: string;
}

export interface SubscribeResult {
  ok: boolean;
  /** Why not: the client is unknown, or it holds maxSubscriptions already. */
  reason?: 'unknown-client' | 'too-many-subscriptions';
}

/**
 * Unknown clients are not errors: destroyClient, ping, deliver are no-ops for them, takeQueue and
 * subscriptions resolve empty, unsubscribe resolves false, subscribe resolves `unknown-client`.
 * After close() every call rejects with EngineError `ENGINE_CLOSED`.
 */
export interface Engine {
  /**
   * Ms without a connect after which this engine expires a client (its `maxInterval` option). A server
   * refuses an engine that would expire clients sooner than the server's own `maxInterval` advice lets them
   * wait (Bayeux §4.2: a client following the advice must not lose its session). Optional for engines
   * written before it existed: the server then cannot check.
   */
  readonly maxInterval?: number;
  /** Sets the sink that learns about deliveries and destroyed clients. One per server. */
  setSink(sink: DeliverySink): void;
  /** Registers a new client with a fresh id of at least 128 random bits from crypto. */
  createClient(options?: CreateClientOptions): Promise<string>;
  clientExists(clientId: string): Promise<boolean>;
  /** Forgets the client, its subscriptions and its queue; the sink hears `destroyed`. */
  destroyClient(clientId: string, reason: DestroyReason): Promise<void>;
  /** Records activity now (a connect arrived or a reply left); expiry counts from the latest ping. */
  ping(clientId: string): Promise<void>;
  /**
   * Optional: clientExists and ping in one step: records activity now for a known client and resolves
   * whether it is known (an unknown one stays unknown). A /meta/connect asks both on every round trip
   * (issue 13); without it the server makes the two calls.
   */
  touchClient?(clientId: string): Promise<boolean>;
  /** Subscribes a client to a channel name or a wildcard pattern (already validated). Idempotent. */
  subscribe(clientId: string, pattern: string): Promise<SubscribeResult>;
  /** Removes one subscription; true if it existed. */
  unsubscribe(clientId: string, pattern: string): Promise<boolean>;
  subscriptions(clientId: string): Promise<string[]>;
  /**
   * Queues `encoded` (the JSON text of `message`) once for every client with a subscription matching
   * `message.channel` (exact, `/*`, `/**`), de-duplicated per client, and wakes their sinks.
   * Resolves with the number of clients it was queued for.
   */
  publish(message: Message, encoded: EncodedMessage): Promise<number>;
  /** Queues messages for one client only (service replies, direct deliveries). */
  deliver(clientId: string, encoded: EncodedMessage[]): Promise<void>;
  /**
   * Puts messages taken by takeQueue but not delivered (the connect or socket they were for went away)
   * back at the HEAD of the client's queue, in the order given, ahead of anything queued since, and wakes
   * the sink. Appending them (deliver) would reorder them behind newer messages. The queue policy applies
   * as for new messages (drop-oldest drops from the head, i.e. these first). A no-op for unknown clients.
   */
  requeue(clientId: string, encoded: EncodedMessage[]): Promise<void>;
  /**
   * Removes and returns everything queued for the client, oldest first. With `maxBytes`, only the oldest
   * messages whose UTF-8 sizes sum to at most maxBytes, and always at least one (a larger message goes
   * alone); the rest stay queued, in order. That is what bounds one connect reply or push frame.
   */
  takeQueue(clientId: string, maxBytes?: number, journal?: string): Promise<EncodedMessage[]>;
  /**
   * takeQueue, and whether messages are still queued after it, learnt in the same atomic step (issue 13):
   * a socket flush bounded by maxBytes needs to know whether to send another frame, and with remote
   * storage a second take only to find out costs a round trip per flush. `more` is true exactly when the
   * take left messages queued (the budget stopped it); messages queued by others after the take are told
   * by a wake, as always.
   */
  takeQueueWithMore(clientId: string, maxBytes?: number, journal?: string): Promise<QueueTake>;
  /**
   * Optional: takeQueueWithMore (without a journal) for many clients in ONE call, one QueueTake per id in
   * the order given (an unknown client's is empty), each client's take as atomic as takeQueueWithMore's.
   * The server's socket flushes use it for the sockets one fan-out woke on this node (issue 12): one
   * promise for all of them instead of a chain per client, and an engine with remote storage takes for
   * all of them in few round trips.
   */
  takeQueuesWithMore?(clientIds: readonly string[], maxBytes?: number): Promise<QueueTake[]>;
  /**
   * With `journal` (a client-state key) takeQueue also records what it took there, in the same atomic
   * step: messages taken by a node that dies before they are safe elsewhere (the ack extension's state)
   * can be read back by any node. readJournal returns them, oldest first; setClientState(clientId,
   * journal, undefined) clears the journal.
   */
  readJournal(clientId: string, journal: string): Promise<EncodedMessage[]>;
  /**
   * Optional synchronous takeQueue, for engines whose queues live in this process (the memory engine).
   * The server's socket pushes use it when present and skip a promise per flush; engines with remote
   * storage (Redis) leave it out and takeQueue is used. Same semantics as takeQueue, but it THROWS
   * (EngineError `ENGINE_CLOSED`) where takeQueue would reject.
   */
  takeQueueSync?(clientId: string, maxBytes?: number, journal?: string): EncodedMessage[];
  /** Optional synchronous count of the messages queued for a client (0 for unknown ones), same engines. */
  queuedSync?(clientId: string): number;
  /**
   * Per-client session state that must follow the client to whichever node answers it (the first-connect
   * flag, the ack extension's unacknowledged messages): small named strings, forgotten with the client.
   * Unknown clients: get and take resolve undefined, set is a no-op.
   */
  getClientState(clientId: string, key: string): Promise<string | undefined>;
  /** Sets one entry; `undefined` deletes it. */
  setClientState(clientId: string, key: string, value: string | undefined): Promise<void>;
  /** Removes and returns one entry atomically: of concurrent takes (on any node) exactly one gets it. */
  takeClientState(clientId: string, key: string): Promise<string | undefined>;
  /**
   * CometD maxSessionsPerBrowser over every node: records that `clientId` of browser `browserId` holds an
   * HTTP connect until `untilMs` at the latest (`undefined`: it no longer does). The deadline makes the
   * entries of a node that dies while holding lapse instead of counting forever.
   */
  setBrowserHold(browserId: string, clientId: string, untilMs: number | undefined): Promise<void>;
  /** How many clients of the browser, other than `exceptClientId`, hold a connect now, on any node. */
  browserHolds(browserId: string, exceptClientId: string): Promise<number>;
  /**
   * Optional: browserHolds and, when it is below `max`, setBrowserHold(browserId, clientId, untilMs), in one
   * step; resolves with the count (the hold is recorded exactly when it is below `max`). A held long-poll
   * asks both on every round trip (issue 13); without it the server makes the two calls.
   */
  claimBrowserHold?(browserId: string, clientId: string, untilMs: number, max: number): Promise<number>;
  /**
   * Publishes a message on a channel with history, ATOMICALLY: assigns the next position (offset + 1 in the
   * channel's epoch, a new epoch and offset 1 when the channel has no history yet), builds the text
   * `head + encodePosition(position) + tail`, appends it to the channel's history (then trims it to
   * `limits`: size, ttl, maxBytes), and queues it like `publish` (the caller passes `message` without the
   * position, for matching). No subscriber may see two messages of a channel in another order than their
   * offsets. Resolves with the number of clients queued for and the position.
   */
  publishHistory(
    message: Message,
    template: PositionTemplate,
    limits: HistoryLimits,
  ): Promise<{ count: number; position: HistoryPosition }>;
  /**
   * `subscribe` plus a history read of the concrete `channel`, ATOMICALLY: the messages read are queued
   * for the client (oldest first) in the same step as the subscription is recorded, so every message
   * published later is queued after them and none is both read and queued live, or neither. Without a
   * query the read is empty and complete (the client learns the position). A channel without history yet
   * gets its epoch here (offset 0). When the client's queue cannot take the whole replay (maxQueue,
   * maxQueueBytes) nothing is queued and the read is not complete (a cut replay would be a silent gap).
   * Same refusals as subscribe.
   */
  subscribeHistory(
    clientId: string,
    channel: string,
    query: HistoryQuery | undefined,
    limits: HistoryLimits,
  ): Promise<HistorySubscribeResult>;
  /** Reads a channel's history (the server's `bayeux.history()`); creates the epoch like subscribeHistory. */
  readHistory(channel: string, query: HistoryQuery, limits: HistoryLimits): Promise<HistoryRead>;
  /**
   * Adds a known client to a channel's presence set, ATOMICALLY with the count it returns. Unknown clients
   * change nothing. Destroying a client removes it from every set and tells the sink `left`.
   */
  presenceJoin(channel: string, clientId: string): Promise<PresenceChange>;
  /** Removes a client from a channel's presence set (no sink call). */
  presenceLeave(channel: string, clientId: string): Promise<PresenceChange>;
  /** Who is present: the count always, the members when there are at most `maxMembers`. */
  presence(channel: string, maxMembers: number): Promise<PresenceSnapshot>;
  /** Number of clients known (for metrics and limits). */
  clientCount(): Promise<number>;
  /** Stops sweepers and releases resources; later calls reject. The sink is not told (the server closes too). */
  close(): Promise<void>;
}

/** The JSON text of a position, as spliced between a PositionTemplate's head and tail. */
export function encodePosition(position: HistoryPosition): string {
  return `{"offset":${position.offset},"epoch":${JSON.stringify(position.epoch)}}`;
}
