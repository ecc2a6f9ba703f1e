// Per-client state fields (in the client's own HASH, so they go with the client) and per-browser holds
// (a ZSET per browser id of the clients holding a connect, scored by when the hold ends).

import type { Keys } from './keys.js';
import type { RedisCommand, RedisReply } from './port.js';
import { BROWSER_HOLDS, SET_STATE, TAKE_STATE } from './scripts.js';

/** What the client-state store needs from its engine. */
export interface ClientStateHost {
  readonly keys: Keys;
  run(operation: string, commands: readonly RedisCommand[]): Promise<RedisReply[]>;
}

export class ClientStateStore {
  readonly #h: ClientStateHost;

  constructor(host: ClientStateHost) {
    this.#h = host;
  }

  async getClientState(clientId: string, key: string): Promise<string | undefined> {
    const [v] = await this.#h.run('getClientState', [
      ['HGET', this.#h.keys.client(clientId), this.#h.keys.stateField(key)],
    ]);
    return typeof v === 'string' ? v : undefined;
  }

  async setClientState(clientId: string, key: string, value: string | undefined): Promise<void> {
    const client = this.#h.keys.client(clientId);
    const field = this.#h.keys.stateField(key);
    await this.#h.run('setClientState', [
      value === undefined
        ? ['HDEL', client, field]
        : { script: SET_STATE, keys: [client], args: [field, value] },
    ]);
  }

  async takeClientState(clientId: string, key: string): Promise<string | undefined> {
    const [v] = await this.#h.run('takeClientState', [
      { script: TAKE_STATE, keys: [this.#h.keys.client(clientId)], args: [this.#h.keys.stateField(key)] },
    ]);
    return typeof v === 'string' ? v : undefined;
  }

  async setBrowserHold(browserId: string, clientId: string, untilMs: number | undefined): Promise<void> {
    const key = this.#h.keys.browser(browserId);
    if (untilMs === undefined) {
      await this.#h.run('setBrowserHold', [['ZREM', key, clientId]]);
      return;
    }
    // The key outlives its latest hold by a little, so an abandoned browser leaves nothing behind.
    const ttl = Math.max(1, Math.ceil(untilMs - Date.now())) + 1000;
    await this.#h.run('setBrowserHold', [
      ['ZADD', key, untilMs, clientId],
      ['PEXPIRE', key, ttl, 'GT'],
      ['PEXPIRE', key, ttl, 'NX'],
    ]);
  }

  async browserHolds(browserId: string, exceptClientId: string): Promise<number> {
    const [n] = await this.#h.run('browserHolds', [
      { script: BROWSER_HOLDS, keys: [this.#h.keys.browser(browserId)], args: [Date.now(), exceptClientId] },
    ]);
    return n as number;
  }
}
