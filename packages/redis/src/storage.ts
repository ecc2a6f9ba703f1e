// How the engine meets Redis failures: a failed call becomes EngineError ENGINE_STORAGE (and a diagnostic),
// and the connection's state changes are published on the connection channel.

import { EngineError } from '@pushwire/server';
import { connectionChannel, errorChannel } from './diagnostics.js';
import type { RedisPort } from './port.js';

/** Runs one storage step; a failure becomes EngineError ENGINE_STORAGE, told on the error channel. */
export async function storage<T>(operation: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (cause) {
    const message = cause instanceof Error ? cause.message : String(cause);
    const error = new EngineError('ENGINE_STORAGE', `pushwire redis: ${operation} failed: ${message}`, {
      cause,
    });
    if (errorChannel.hasSubscribers) errorChannel.publish({ operation, error });
    throw error;
  }
}

/** Publishes the port's connection events (error, reconnecting, ready) on the connection channel. */
export function watchConnection(port: RedisPort): void {
  port.onEvent((event) => {
    if (!connectionChannel.hasSubscribers) return;
    if (event.type === 'error') connectionChannel.publish({ state: 'error', error: event.error });
    else if (event.type === 'reconnecting')
      connectionChannel.publish({ state: 'reconnecting', delay: event.delay });
    else connectionChannel.publish({ state: 'ready' });
  });
}
