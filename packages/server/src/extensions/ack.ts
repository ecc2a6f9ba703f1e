// The acknowledged-messages extension, in CometD's wire format (CometD docs extensions_acknowledge.adoc;
// client side: node_modules/cometd/AckExtension.js):
// - handshake: the client sends `ext: {ack: true}`; the server agrees with `ext: {ack: true}` in the reply;
// - every /meta/connect REPLY carries `ext.ack = <batch id>` for the messages riding it;
// - the next /meta/connect REQUEST carries `ext.ack = <last batch received>`, acknowledging it and every
//   earlier batch;
// - messages not acknowledged are sent again, before newer ones, with the next batch id; while some are
//   pending the connect is answered at once.
// For such clients messages travel only in connect replies (no WebSocket push), which gives total order.
// Server to client only; messages are lost if the session expires (maxInterval).
//
// Where the state lives: in the ENGINE (client state `ack`, Engine.getClientState), so that with a shared
// engine (Redis) a client's next connect may reach any node, and a node killed after sending a batch
// loses nothing: the batch stays unacknowledged in the engine and the next node sends it again (the
// client de-duplicates). It is read when a /meta/connect arrives (incoming) and written before its reply
// leaves (outgoing). In this process only a copy is kept, and only while needed: during one connect for
// HTTP transports, for the whole session for WebSocket clients (whose socket stays on this node and whose
// pushes must be held back, `connectOnly`).

import type { Message } from '@pushwire/bayeux';
import { META } from '@pushwire/bayeux';
import type { Engine } from '../engine/engine.js';
import type { BayeuxExtension, DeliveryHook } from '../extensions.js';

export interface AckExtensionOptions {
  /** Most messages kept unacknowledged per client; past it the oldest are dropped. Default 1000. */
  maxUnacked?: number;
  /**
   * Most bytes (UTF-8) kept unacknowledged per client; past it the oldest are dropped. Every connect reply
   * resends all unacknowledged messages, so this bounds a reply too (a client that never acks must not make
   * the server build a reply of maxUnacked large messages). Default 4 MiB.
   */
  maxUnackedBytes?: number;
}

interface AckState {
  /** Id of the last batch sent. */
  batch: number;
  /** Messages sent in batches not yet acknowledged, oldest first, with the batch that last carried them. */
  unacked: { batch: number; message: string; bytes: number }[];
  /** Sum of the unacked messages' bytes. */
  bytes: number;
}

export const DEFAULT_MAX_UNACKED = 1000;
export const DEFAULT_MAX_UNACKED_BYTES = 4 * 1024 * 1024;
/** Engine client-state key of the extension. */
export const ACK_STATE = 'ack';
/**
 * Engine client-state key of the journal of what connect replies took from the queue (Engine.takeQueue
 * `journal`), cleared once the batch is stored in ACK_STATE. A node that dies in between leaves it: the
 * next connect, on any node, adds those messages to the unacknowledged ones.
 */
export const ACK_TAKEN = 'ack-taken';

function decode(text: string | undefined): AckState | undefined {
  if (text === undefined) return undefined;
  const parsed = JSON.parse(text) as { b: number; u: [number, string][] };
  const state: AckState = { batch: parsed.b, unacked: [], bytes: 0 };
  for (const [batch, message] of parsed.u) {
    const bytes = Buffer.byteLength(message);
    state.unacked.push({ batch, message, bytes });
    state.bytes += bytes;
  }
  return state;
}

function encode(state: AckState): string {
  return JSON.stringify({ b: state.batch, u: state.unacked.map((e) => [e.batch, e.message]) });
}

function limitOption(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') throw new TypeError(`pushwire: ${name} must be a number`);
  if (!Number.isInteger(value) || value < 1)
    throw new RangeError(`pushwire: ${name} must be an integer >= 1`);
  return value;
}

export function ackExtension(options: AckExtensionOptions = {}): BayeuxExtension {
  const maxUnacked = limitOption('maxUnacked', options.maxUnacked, DEFAULT_MAX_UNACKED);
  const maxUnackedBytes = limitOption('maxUnackedBytes', options.maxUnackedBytes, DEFAULT_MAX_UNACKED_BYTES);
  let engine: Engine | undefined;
  /** The local copies (see the header): without an engine (not added to a server) the only copy. */
  const clients = new Map<string, AckState>();

  const delivery: DeliveryHook = {
    connectOnly: (clientId) => clients.has(clientId),
    hasPending: (clientId) => (clients.get(clientId)?.unacked.length ?? 0) > 0,
    beforeConnectReply(clientId: string, queue: string[], reply: Message): string[] {
      const state = clients.get(clientId);
      if (state === undefined) return queue;
      if (queue.length > 0 || state.unacked.length > 0) {
        state.batch++;
        for (const message of queue) {
          const bytes = Buffer.byteLength(message);
          state.unacked.push({ batch: state.batch, message, bytes });
          state.bytes += bytes;
        }
        // Oldest first out, past either bound (the newest message is always kept).
        let drop = 0;
        while (
          drop < state.unacked.length - 1 &&
          (state.unacked.length - drop > maxUnacked || state.bytes > maxUnackedBytes)
        ) {
          state.bytes -= state.unacked[drop]!.bytes;
          drop++;
        }
        if (drop > 0) state.unacked.splice(0, drop);
        for (const entry of state.unacked) entry.batch = state.batch;
      }
      reply.ext = { ...reply.ext, ack: state.batch };
      return state.unacked.map((e) => e.message);
    },
    forget: (clientId) => {
      clients.delete(clientId);
    },
    journal: (clientId) => (engine !== undefined && clients.has(clientId) ? ACK_TAKEN : undefined),
  };

  return {
    delivery,
    attach(host) {
      engine = host.engine;
    },
    async incoming(message) {
      if (message.channel !== META.connect || typeof message.clientId !== 'string') return message;
      const clientId = message.clientId;
      let state: AckState | undefined;
      if (engine === undefined) state = clients.get(clientId);
      else {
        const [stored, taken] = await Promise.all([
          engine.getClientState(clientId, ACK_STATE),
          engine.readJournal(clientId, ACK_TAKEN),
        ]);
        state = decode(stored);
        if (state !== undefined && taken.length > 0) {
          // Taken by a connect whose node died before storing them: unacknowledged, sent again (once).
          const known = new Set(state.unacked.map((e) => e.message));
          for (const m of taken) {
            if (known.has(m)) continue;
            const bytes = Buffer.byteLength(m);
            state.unacked.push({ batch: state.batch + 1, message: m, bytes });
            state.bytes += bytes;
          }
        }
      }
      if (state === undefined) {
        clients.delete(clientId);
        return message;
      }
      clients.set(clientId, state);
      const acked = message.ext?.ack;
      if (typeof acked === 'number') {
        // Batch `acked` and every earlier one arrived.
        let keep = 0;
        while (keep < state.unacked.length && (state.unacked[keep]?.batch ?? 0) <= acked) keep++;
        if (keep > 0) {
          for (let i = 0; i < keep; i++) state.bytes -= state.unacked[i]!.bytes;
          state.unacked.splice(0, keep);
        }
      }
      return message;
    },
    async outgoing(message, ctx) {
      if (typeof message.clientId !== 'string') return message;
      const clientId = message.clientId;
      if (
        message.channel === META.handshake &&
        message.successful === true &&
        ctx.request?.ext?.ack === true
      ) {
        const state: AckState = { batch: 0, unacked: [], bytes: 0 };
        await engine?.setClientState(clientId, ACK_STATE, encode(state));
        // The next connect loads it from the engine (and may reach another node); a WebSocket stays here.
        if (engine === undefined || ctx.transport === 'websocket') clients.set(clientId, state);
        message.ext = { ...message.ext, ack: true };
      } else if (message.channel === META.connect && engine !== undefined) {
        const state = clients.get(clientId);
        if (state === undefined) return message;
        // Stored BEFORE the reply leaves: a node dying after writing it loses nothing. Then the journal of
        // what this reply took is cleared (the state has it now); in that order, a death in between only
        // duplicates (the client de-duplicates).
        await engine.setClientState(clientId, ACK_STATE, encode(state));
        await engine.setClientState(clientId, ACK_TAKEN, undefined);
        if (ctx.transport !== 'websocket') clients.delete(clientId);
      }
      return message;
    },
  };
}
