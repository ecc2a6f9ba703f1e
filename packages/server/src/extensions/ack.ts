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

import type { Message } from '@pushwire/bayeux';
import { META } from '@pushwire/bayeux';
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
  };

  return {
    delivery,
    incoming(message) {
      if (message.channel !== META.connect || typeof message.clientId !== 'string') return message;
      const state = clients.get(message.clientId);
      const acked = message.ext?.ack;
      if (state !== undefined && typeof acked === 'number') {
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
    outgoing(message, ctx) {
      if (
        message.channel === META.handshake &&
        message.successful === true &&
        typeof message.clientId === 'string' &&
        ctx.request?.ext?.ack === true
      ) {
        clients.set(message.clientId, { batch: 0, unacked: [], bytes: 0 });
        message.ext = { ...message.ext, ack: true };
      }
      return message;
    },
  };
}
