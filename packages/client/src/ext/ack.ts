// The `ack` extension on CometD's wire (AckExtension.js / AcknowledgedMessagesExtension.java): at-least-once
// delivery from server to client. The handshake carries `ext.ack: true`; the server answers `ext.ack: true`
// (old form) or `{enabled, batch}` (new form); each /meta/connect reply carries the batch number in
// `ext.ack`, and the next /meta/connect sends back the last batch received, so the server resends only
// what we have not seen. A resend after a lost reply can repeat messages we did process, so deliveries that
// carry an `id` are de-duplicated over a bounded window. De-duplication runs only while the server
// supports acks: on servers without it (Faye keeps the publisher's id on broadcasts) ids are not unique.

import { isMetaChannel, META, type Message } from '@pushwire/bayeux';
import { checkNumber } from '../config-checks.js';
import type { Extension } from '../extensions.js';

export interface AckExtensionOptions {
  /** Most recent delivery ids remembered to drop duplicates. Default 1000. */
  dedupWindow?: number;
}

export interface AckExtension extends Required<Extension> {
  /** True once the server's handshake reply said it supports acks. */
  readonly enabled: boolean;
  /** The last batch number received from the server. */
  readonly batch: number;
  /** Deliveries dropped as duplicates so far. */
  readonly duplicates: number;
}

export function ackExtension(options: AckExtensionOptions = {}): AckExtension {
  const window =
    options.dedupWindow === undefined
      ? 1000
      : checkNumber('dedupWindow', options.dedupWindow, { min: 0, integer: true });
  let enabled = false;
  let batch = 0;
  let duplicates = 0;
  const seen = new Set<string>();

  return {
    get enabled() {
      return enabled;
    },
    get batch() {
      return batch;
    },
    get duplicates() {
      return duplicates;
    },
    outgoing(message: Message): Message {
      if (message.channel === META.handshake) {
        message.ext = { ...message.ext, ack: true };
        enabled = false;
        batch = 0;
        seen.clear();
      } else if (message.channel === META.connect && enabled) {
        message.ext = { ...message.ext, ack: batch };
      }
      return message;
    },
    incoming(message: Message): Message | null {
      const ack = message.ext?.ack;
      if (message.channel === META.handshake) {
        if (typeof ack === 'object' && ack !== null) {
          const field = ack as { enabled?: unknown; batch?: unknown };
          enabled = field.enabled === true;
          if (typeof field.batch === 'number') batch = field.batch;
        } else enabled = ack === true;
        return message;
      }
      if (message.channel === META.connect) {
        if (message.successful === true && enabled && typeof ack === 'number') batch = ack;
        return message;
      }
      if (!enabled || isMetaChannel(message.channel) || typeof message.id !== 'string') return message;
      if (!('data' in message) || typeof message.successful === 'boolean') return message;
      const key = `${message.channel}\u0000${message.id}`;
      if (seen.has(key)) {
        duplicates++;
        return null;
      }
      seen.add(key);
      // A Set iterates in insertion order: the first key is the oldest.
      if (seen.size > window) seen.delete(seen.values().next().value as string);
      return message;
    },
  };
}
