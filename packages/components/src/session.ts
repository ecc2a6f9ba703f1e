// Sessions: a writable key/value record per browser, loaded from a pluggable store and saved back
// (Ratchet's are read-only: its VirtualSessionStorage::save() writes nothing, Ratchet #142). Values must
// be JSON-serialisable: every store keeps JSON text, so a session costs the bytes it serialises to.

import { randomBytes } from 'node:crypto';
import { DEFAULTS, positive } from './options.js';

export type SessionData = Record<string, unknown>;

/** Where sessions live. Each call may be sync or async. */
export interface SessionStore {
  /** The session's data, or undefined when unknown or expired. */
  load(id: string): SessionData | undefined | Promise<SessionData | undefined>;
  /** Stores the data (replacing it). Rejects with SessionError SESSION_TOO_LARGE past the store's bound. */
  save(id: string, data: SessionData): void | Promise<void>;
  destroy(id: string): void | Promise<void>;
}

export type SessionErrorCode = 'SESSION_TOO_LARGE' | 'SESSION_NOT_JSON';

export class SessionError extends Error {
  readonly code: SessionErrorCode;
  constructor(code: SessionErrorCode, message: string) {
    super(message);
    this.name = 'SessionError';
    this.code = code;
  }
}

/** 192 random bits, base64url (32 characters): unguessable, cookie-safe. */
export function newSessionId(): string {
  return randomBytes(24).toString('base64url');
}

/** What a session id from a cookie must look like before any store is asked. */
export const SESSION_ID_PATTERN = /^[A-Za-z0-9_-]{16,128}$/;

export class Session {
  readonly id: string;
  readonly #store: SessionStore;
  #data: SessionData;
  #dirty = false;
  #saving: Promise<void> | undefined;
  /** True when the session did not exist in the store (a new id was issued). */
  readonly isNew: boolean;

  constructor(id: string, store: SessionStore, data: SessionData, isNew: boolean) {
    this.id = id;
    this.#store = store;
    this.#data = { ...data };
    this.isNew = isNew;
  }

  get<T = unknown>(key: string): T | undefined {
    return this.#data[key] as T | undefined;
  }

  has(key: string): boolean {
    return Object.hasOwn(this.#data, key);
  }

  set(key: string, value: unknown): this {
    this.#data[key] = value;
    this.#dirty = true;
    return this;
  }

  delete(key: string): boolean {
    if (!Object.hasOwn(this.#data, key)) return false;
    delete this.#data[key];
    this.#dirty = true;
    return true;
  }

  clear(): this {
    this.#data = {};
    this.#dirty = true;
    return this;
  }

  /** True when changed since the last load or save. */
  get dirty(): boolean {
    return this.#dirty;
  }

  /** A copy of the data. */
  toJSON(): SessionData {
    return { ...this.#data };
  }

  /** Reads the session again from the store (another connection may have written it). */
  async reload(): Promise<void> {
    await this.#saving;
    const data = await this.#store.load(this.id);
    this.#data = { ...(data ?? {}) };
    this.#dirty = false;
  }

  /** Writes the session back to the store (SessionProvider also does it when the connection closes). */
  save(): Promise<void> {
    const run = async (): Promise<void> => {
      const snapshot = { ...this.#data };
      this.#dirty = false;
      try {
        await this.#store.save(this.id, snapshot);
      } catch (err) {
        this.#dirty = true;
        throw err;
      }
    };
    // Saves are serialised: the store sees them in the order they were asked for.
    const next = (this.#saving ?? Promise.resolve()).then(run, run);
    this.#saving = next.catch(() => {});
    return next;
  }

  /** Removes the session from the store. */
  async destroy(): Promise<void> {
    this.#data = {};
    this.#dirty = false;
    await this.#store.destroy(this.id);
  }
}

export interface MemorySessionStoreOptions {
  /** Most sessions kept; the least recently used is evicted for a new one. Default 10,000. */
  maxSessions?: number;
  /** Largest session as JSON bytes; save() rejects above. Default 64 KiB. */
  maxSessionBytes?: number;
  /** All sessions together as JSON bytes; least recently used evicted above. Default 64 MiB. */
  maxStoreBytes?: number;
  /** Ms a session lives without a load or save. Default 24 h. */
  ttl?: number;
}

interface Stored {
  json: string;
  bytes: number;
  expires: number;
}

/** The in-memory store: one process, bounded in count and bytes, LRU eviction, idle expiry. */
export class MemorySessionStore implements SessionStore {
  readonly maxSessions: number;
  readonly maxSessionBytes: number;
  readonly maxStoreBytes: number;
  readonly ttl: number;
  /** In least-recently-used-first order (a touch re-inserts at the end). */
  readonly #items = new Map<string, Stored>();
  #bytes = 0;

  constructor(options: MemorySessionStoreOptions = {}) {
    this.maxSessions = positive('maxSessions', options.maxSessions, DEFAULTS.maxSessions);
    this.maxSessionBytes = positive('maxSessionBytes', options.maxSessionBytes, DEFAULTS.maxSessionBytes);
    this.maxStoreBytes = positive('maxStoreBytes', options.maxStoreBytes, DEFAULTS.maxStoreBytes);
    this.ttl = positive('ttl', options.ttl, DEFAULTS.sessionTtl);
  }

  get size(): number {
    return this.#items.size;
  }

  /** JSON bytes held. */
  get bytes(): number {
    return this.#bytes;
  }

  load(id: string): SessionData | undefined {
    const item = this.#items.get(id);
    if (item === undefined) return undefined;
    this.#items.delete(id);
    if (item.expires <= Date.now()) {
      this.#bytes -= item.bytes;
      return undefined;
    }
    item.expires = Date.now() + this.ttl;
    this.#items.set(id, item);
    return JSON.parse(item.json) as SessionData;
  }

  save(id: string, data: SessionData): void {
    let json: string;
    try {
      json = JSON.stringify(data);
    } catch (err) {
      throw new SessionError('SESSION_NOT_JSON', `session data is not JSON: ${(err as Error).message}`);
    }
    const bytes = Buffer.byteLength(json);
    if (bytes > this.maxSessionBytes) {
      throw new SessionError(
        'SESSION_TOO_LARGE',
        `session is ${bytes} bytes as JSON, more than maxSessionBytes (${this.maxSessionBytes})`,
      );
    }
    this.destroy(id);
    this.#items.set(id, { json, bytes, expires: Date.now() + this.ttl });
    this.#bytes += bytes;
    // Evict least recently used first (never the one just saved).
    for (const [oldId, old] of this.#items) {
      if (this.#items.size <= this.maxSessions && this.#bytes <= this.maxStoreBytes) break;
      if (oldId === id) continue;
      this.#items.delete(oldId);
      this.#bytes -= old.bytes;
    }
  }

  destroy(id: string): void {
    const old = this.#items.get(id);
    if (old === undefined) return;
    this.#items.delete(id);
    this.#bytes -= old.bytes;
  }
}
