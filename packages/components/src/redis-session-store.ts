// A SessionStore in Redis, so that every node behind a load balancer sees the same sessions (issue 10:
// "in-memory by default; a Redis store when the Redis engine exists"). One string key per session, holding
// the same JSON text the in-memory store keeps, with a sliding idle expiry done by Redis itself (PX).
//
// The package has no Redis dependency: the store speaks to a minimal port, the three commands it needs,
// typed so that an `ioredis` client (`new Redis()` or `new Cluster()`) satisfies it structurally.
// One key per session and no multi-key command: every command touches one key, so it is safe on
// Redis Cluster whatever slot a session hashes to.

import { DEFAULTS, positive } from './options.js';
import { type SessionData, SessionError, type SessionStore } from './session.js';

/**
 * The Redis commands the store uses, shaped like ioredis's (any client with the same signatures works).
 * Each must reject on a Redis or connection error: the store passes rejections on unchanged.
 */
export interface RedisSessionClient {
  /** GETEX key PX ms (Redis >= 6.2): the value, its expiry reset in the same command; null when absent. */
  getex(key: string, millisecondsToken: 'PX', milliseconds: number): Promise<string | null>;
  /** SET key value PX ms: replaces the value and its expiry. */
  set(key: string, value: string, millisecondsToken: 'PX', milliseconds: number): Promise<unknown>;
  /** DEL key. */
  del(key: string): Promise<number>;
}

export interface RedisSessionStoreOptions {
  /** The Redis client (an ioredis `Redis` or `Cluster` instance fits). Required. */
  client: RedisSessionClient;
  /** Prepended to the session id to make the key. Default 'pushwire:session:'. */
  prefix?: string;
  /** Ms a session lives without a load or save (sliding, Redis PX). Default 24 h, as MemorySessionStore. */
  ttl?: number;
  /** Largest session as JSON bytes; save() rejects above (and load() of a larger stored one). Default 64 KiB. */
  maxSessionBytes?: number;
}

export const REDIS_SESSION_PREFIX = 'pushwire:session:';

export class RedisSessionStore implements SessionStore {
  readonly client: RedisSessionClient;
  readonly prefix: string;
  readonly ttl: number;
  readonly maxSessionBytes: number;

  constructor(options: RedisSessionStoreOptions) {
    if (options?.client === undefined || options.client === null) {
      throw new TypeError('pushwire components: RedisSessionStore needs a Redis client ({ client })');
    }
    this.client = options.client;
    this.prefix = options.prefix ?? REDIS_SESSION_PREFIX;
    if (typeof this.prefix !== 'string') {
      throw new TypeError('pushwire components: RedisSessionStore prefix must be a string');
    }
    this.ttl = positive('ttl', options.ttl, DEFAULTS.sessionTtl);
    this.maxSessionBytes = positive('maxSessionBytes', options.maxSessionBytes, DEFAULTS.maxSessionBytes);
  }

  /** The Redis key of a session. */
  key(id: string): string {
    return this.prefix + id;
  }

  /**
   * The session, its idle expiry reset (as MemorySessionStore resets it on load), or undefined when absent
   * or expired. Rejects with SessionError SESSION_NOT_JSON when the stored text is not a JSON object, and
   * SESSION_TOO_LARGE when it is over maxSessionBytes (written by some other writer).
   */
  async load(id: string): Promise<SessionData | undefined> {
    const json = await this.client.getex(this.key(id), 'PX', this.ttl);
    if (json === null || json === undefined) return undefined;
    const bytes = Buffer.byteLength(json);
    if (bytes > this.maxSessionBytes) {
      throw new SessionError(
        'SESSION_TOO_LARGE',
        `stored session is ${bytes} bytes, more than maxSessionBytes (${this.maxSessionBytes})`,
      );
    }
    let data: unknown;
    try {
      data = JSON.parse(json);
    } catch (err) {
      throw new SessionError('SESSION_NOT_JSON', `stored session is not JSON: ${(err as Error).message}`);
    }
    if (typeof data !== 'object' || data === null || Array.isArray(data)) {
      throw new SessionError('SESSION_NOT_JSON', 'stored session is not a JSON object');
    }
    return data as SessionData;
  }

  /** Replaces the session and resets its expiry. Size and JSON are checked before Redis is asked. */
  async save(id: string, data: SessionData): Promise<void> {
    let json: string | undefined;
    try {
      json = JSON.stringify(data);
    } catch (err) {
      throw new SessionError('SESSION_NOT_JSON', `session data is not JSON: ${(err as Error).message}`);
    }
    // A toJSON() answering undefined serialises to nothing: nothing that load() could read back.
    if (typeof json !== 'string') throw new SessionError('SESSION_NOT_JSON', 'session data is not JSON');
    const bytes = Buffer.byteLength(json);
    if (bytes > this.maxSessionBytes) {
      throw new SessionError(
        'SESSION_TOO_LARGE',
        `session is ${bytes} bytes as JSON, more than maxSessionBytes (${this.maxSessionBytes})`,
      );
    }
    await this.client.set(this.key(id), json, 'PX', this.ttl);
  }

  async destroy(id: string): Promise<void> {
    await this.client.del(this.key(id));
  }
}
