// DESIGN.md: extensions are an ordered async pipeline, `incoming` in registration order and `outgoing`
// in reverse; a hook may return the message, a replacement, null (drop it) or a Promise of those.

import type { Message } from '@pushwire/bayeux';
import { ClientError } from './errors.js';

export type ExtensionHook = (
  message: Message,
) => Message | null | undefined | Promise<Message | null | undefined>;

export interface Extension {
  incoming?: ExtensionHook;
  outgoing?: ExtensionHook;
}

export class ExtensionPipeline {
  readonly #extensions: Extension[] = [];

  add(extension: Extension): () => void {
    this.#extensions.push(extension);
    return () => {
      const index = this.#extensions.indexOf(extension);
      if (index >= 0) this.#extensions.splice(index, 1);
    };
  }

  get size(): number {
    return this.#extensions.length;
  }

  incoming(message: Message): Promise<Message | null> {
    return run(message, this.#extensions, 'incoming');
  }

  outgoing(message: Message): Promise<Message | null> {
    return run(message, [...this.#extensions].reverse(), 'outgoing');
  }
}

async function run(
  message: Message,
  list: Extension[],
  direction: 'incoming' | 'outgoing',
): Promise<Message | null> {
  let current: Message | null = message;
  for (const extension of list) {
    const hook = extension[direction];
    if (hook === undefined) continue;
    try {
      // A hook returning undefined keeps the (possibly mutated) message, like CometD's JS client.
      const result: Message | null | undefined = await hook(current);
      if (result === null) return null;
      if (result !== undefined) current = result;
    } catch (err) {
      throw new ClientError('CLIENT_EXTENSION', `${direction} extension failed on ${message.channel}`, {
        cause: err,
      });
    }
  }
  return current;
}
