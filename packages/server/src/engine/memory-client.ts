// One client of the memory engine, and its session state (Engine.getClientState, the take journal).
// An idle client is what a push server holds most of, so nothing is allocated before it is needed.

import type { EncodedMessage } from './engine.js';
import type { MessageQueue } from './message-queue.js';
import type { SubscriptionList } from './subscription-list.js';

/**
 * Its subscriptions are one pattern until there are two (subscription-list.ts), its queue exists only while
 * messages wait in it, its state Map only while it holds a key.
 */
export interface ClientRecord {
  subscriptions: SubscriptionList;
  /** Made by the first message queued, dropped again once a take empties it. */
  queue: MessageQueue | undefined;
  /** Session state (Engine.getClientState), made on first use. */
  state: Map<string, string> | undefined;
  /** JSON text shown in presence sets. */
  readonly info: string;
  /** Ms of its last activity (handshake, connect, reply): the engine's clients Map is in this order. */
  seen: number;
}

export function setState(client: ClientRecord, key: string, value: string | undefined): void {
  if (value === undefined) deleteState(client, key);
  else (client.state ??= new Map()).set(key, value);
}

/** The value of `key`, removed in the same step (Engine.takeClientState). */
export function takeState(client: ClientRecord, key: string): string | undefined {
  const value = client.state?.get(key);
  if (value !== undefined) deleteState(client, key);
  return value;
}

/** Appends what a take returned to the journal kept under `journal` (a JSON array of the texts). */
export function appendJournal(client: ClientRecord, journal: string, taken: readonly EncodedMessage[]): void {
  const state = (client.state ??= new Map());
  const before = state.get(journal);
  state.set(
    journal,
    JSON.stringify(before === undefined ? taken : [...(JSON.parse(before) as string[]), ...taken]),
  );
}

export function readJournal(client: ClientRecord | undefined, journal: string): EncodedMessage[] {
  const text = client?.state?.get(journal);
  return text === undefined ? [] : (JSON.parse(text) as string[]);
}

/**
 * An emptied state Map goes: every client gets one at handshake (FIRST_CONNECT_STATE) that its first
 * connect takes again, and an empty Map with its hash table is about 130 bytes per idle client.
 */
function deleteState(client: ClientRecord, key: string): void {
  const { state } = client;
  if (state === undefined) return;
  state.delete(key);
  if (state.size === 0) client.state = undefined;
}
