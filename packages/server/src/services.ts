// Services (Bayeux §2.2.3, §9): `/service/**` messages are never broadcast. A handler registered with
// addService answers with a direct delivery on the same channel and the same id, which is what CometD's
// `remoteCall` matches on; a thrown or rejected handler becomes an unsuccessful reply.

import type { Message } from '@pushwire/bayeux';
import { isServiceChannel, isValidChannel } from '@pushwire/bayeux';
import type { RequestContext } from './options.js';

export interface ServiceContext extends RequestContext {
  clientId: string;
  channel: string;
  /** The request as it left the incoming extensions. */
  message: Message;
}

export type ServiceHandler = (data: unknown, ctx: ServiceContext) => unknown | Promise<unknown>;

export class ServiceRegistry {
  readonly #handlers = new Map<string, ServiceHandler>();

  add(channel: string, handler: ServiceHandler): void {
    if (!isValidChannel(channel) || !isServiceChannel(channel)) {
      throw new TypeError(`pushwire: addService needs a concrete /service/ channel, got '${channel}'`);
    }
    this.#handlers.set(channel, handler);
  }

  remove(channel: string): boolean {
    return this.#handlers.delete(channel);
  }

  get(channel: string): ServiceHandler | undefined {
    return this.#handlers.get(channel);
  }
}
