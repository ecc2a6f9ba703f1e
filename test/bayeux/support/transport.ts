// The four ways a Bayeux client talks to a server, and the one interface the scenario matrix drives them
// through. Each driver speaks the wire protocol by hand (no client library), so what the tests assert is
// exactly what travels on the wire.

import type { Message } from '@pushwire/bayeux';

export const TRANSPORTS = ['websocket', 'long-polling', 'callback-polling', 'short-polling'] as const;
export type TransportName = (typeof TRANSPORTS)[number];

/**
 * The Bayeux `connectionType` each driver announces. Short polling is not a connection type of its own:
 * it is long-polling where the client asks for `advice.timeout = 0` (DESIGN.md, Bayeux §6.1 throttling).
 */
export const CONNECTION_TYPE: Record<TransportName, string> = {
  websocket: 'websocket',
  'long-polling': 'long-polling',
  'callback-polling': 'callback-polling',
  'short-polling': 'long-polling',
};

export interface SendOptions {
  /**
   * WebSocket only: the ids whose replies complete this send (default: one reply per message sent).
   * For batches where the server must NOT answer some messages.
   */
  awaitIds?: string[];
}

export interface Driver {
  readonly transport: TransportName;
  /**
   * Sends one batch of messages. Resolves with the batch that answers it: over HTTP the whole response
   * array (replies and any deliveries riding with them); over WebSocket the frames that carried a reply
   * to every message sent (matched by `id`, else by channel), including deliveries in those frames.
   */
  send(messages: Message | Message[], opts?: SendOptions): Promise<Message[]>;
  /** Every delivery seen so far (messages with `data`), in arrival order, from any response. */
  readonly deliveries: Message[];
  /** Resolves with the first delivery (already seen or future) matching `match`; rejects after `ms`. */
  waitForDelivery(match: (m: Message) => boolean, ms: number): Promise<Message>;
  close(): Promise<void>;
}

/**
 * Bayeux §5.2: a delivered event MUST carry `data`; replies carry `successful` (§3.12) and no data. A
 * service answer may carry both (CometD's remoteCall treats any message with `data` as the answer), so
 * `data` decides.
 */
export function isDelivery(m: Message): boolean {
  return m.data !== undefined;
}

export function isReply(m: Message): boolean {
  return typeof m.successful === 'boolean' && !isDelivery(m);
}

type Waiter = { match: (m: Message) => boolean; resolve: (m: Message) => void };

/** Delivery bookkeeping shared by every driver. */
export class DeliveryLog {
  readonly deliveries: Message[] = [];
  private waiters: Waiter[] = [];

  record(batch: Message[]): void {
    for (const m of batch) {
      if (!isDelivery(m)) continue;
      this.deliveries.push(m);
      for (const w of this.waiters.filter((x) => x.match(m))) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  }

  wait(match: (m: Message) => boolean, ms: number): Promise<Message> {
    const seen = this.deliveries.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`no matching delivery within ${ms} ms; seen: ${JSON.stringify(this.deliveries)}`));
      }, ms);
      const waiter: Waiter = {
        match,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      };
      this.waiters.push(waiter);
    });
  }
}

/** Parses a response body that must be a JSON array of message objects. */
export function parseBatch(text: string, where: string): Message[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`${where}: body is not JSON: ${text.slice(0, 200)}`);
  }
  if (!Array.isArray(parsed)) throw new Error(`${where}: body is not a JSON array: ${text.slice(0, 200)}`);
  return parsed as Message[];
}
