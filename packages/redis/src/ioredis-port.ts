// RedisPort over ioredis: one connection for commands, one for pub/sub (a subscribed connection cannot
// run other commands). ioredis reconnects on its own (retryStrategy) and re-subscribes; commands issued
// while disconnected wait in its offline queue and fail after `maxRetriesPerRequest` reconnect attempts,
// so a caller learns of an outage instead of hanging.

import { Redis, type RedisOptions } from 'ioredis';
import { execSettled, unwrap } from './pipeline.js';
import type { PortEvent, RedisCommand, RedisPort, RedisReply } from './port.js';

export interface IoredisPortOptions {
  /** `redis://[user:pass@]host:port[/db]` (default redis://127.0.0.1:6379). */
  url?: string;
  /** Reconnect attempts a queued command waits for before it fails (default 2). */
  maxRetriesPerRequest?: number;
  /** Longest wait between two reconnect attempts, ms (default 2000). */
  maxReconnectDelay?: number;
  /** Ms to establish a connection before it counts as failed (default 5000). */
  connectTimeout?: number;
}

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

export class IoredisPort implements RedisPort {
  readonly #commands: Redis;
  readonly #subscriber: Redis;
  readonly #listeners = new Map<string, (message: string) => void>();
  #onEvent: (event: PortEvent) => void = () => undefined;

  constructor(options: IoredisPortOptions = {}) {
    const maxDelay = options.maxReconnectDelay ?? 2000;
    const common: RedisOptions = {
      maxRetriesPerRequest: options.maxRetriesPerRequest ?? 2,
      connectTimeout: options.connectTimeout ?? 5000,
      retryStrategy: (times) => Math.min(times * 100, maxDelay),
      lazyConnect: false,
    };
    const url = options.url ?? DEFAULT_REDIS_URL;
    this.#commands = new Redis(url, common);
    this.#subscriber = new Redis(url, common);
    for (const conn of [this.#commands, this.#subscriber]) {
      // An 'error' listener is mandatory (ioredis would print it otherwise); the engine reports it.
      conn.on('error', (error: Error) => this.#onEvent({ type: 'error', error }));
      conn.on('reconnecting', (delay: number) => this.#onEvent({ type: 'reconnecting', delay }));
    }
    this.#commands.on('ready', () => this.#onEvent({ type: 'ready' }));
    this.#subscriber.on('message', (channel: string, message: string) => {
      this.#listeners.get(channel)?.(message);
    });
  }

  onEvent(listener: (event: PortEvent) => void): void {
    this.#onEvent = listener;
  }

  async batch(commands: readonly RedisCommand[]): Promise<RedisReply[]> {
    return unwrap(await execSettled(() => this.#commands.pipeline(), commands));
  }

  async subscribe(channel: string, listener: (message: string) => void): Promise<void> {
    this.#listeners.set(channel, listener);
    await this.#subscriber.subscribe(channel);
  }

  async close(): Promise<void> {
    await Promise.all(
      [this.#commands, this.#subscriber].map(async (conn) => {
        try {
          await conn.quit();
        } catch {
          // quit() fails when the connection is already down: drop it instead (nothing left to flush).
          conn.disconnect();
        }
      }),
    );
  }
}
