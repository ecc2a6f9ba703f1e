// The small typed port the engine talks to: a batch of commands in one round trip, Lua scripts by sha, and
// pub/sub for node wakes. The engine never sees the client library (ioredis-port.ts adapts ioredis), so a
// test or a user can hand it another implementation (node-redis, a Cluster-aware router).

/** An argument of a Redis command. */
export type RedisArg = string | number;
/** What Redis answers (RESP2 as ioredis decodes it: bulk strings, integers, nil, arrays). */
export type RedisReply = string | number | null | RedisReply[];

/** A Lua script, loaded by sha (EVALSHA) and sent in full once when the server does not know it. */
export interface LuaScript {
  readonly name: string;
  readonly source: string;
  /** Hex SHA-1 of `source` (what EVALSHA names). */
  readonly sha: string;
}

/** A plain command (`['SMEMBERS', key]`) or a script call whose KEYS all share ONE hash slot. */
export type RedisCommand =
  | readonly [string, ...RedisArg[]]
  | { readonly script: LuaScript; readonly keys: readonly string[]; readonly args: readonly RedisArg[] };

/** Connection state changes and failures the port reports (the engine forwards them to diagnostics). */
export type PortEvent =
  | { readonly type: 'ready' }
  | { readonly type: 'reconnecting'; readonly delay: number }
  | { readonly type: 'error'; readonly error: Error };

export interface RedisPort {
  /**
   * True for a Redis Cluster: the engine then splits channel history into one-slot steps (history-cluster.ts)
   * instead of one script across slots. Absent or false: one Redis server.
   */
  readonly cluster?: boolean;
  /**
   * Sends `commands` in one round trip (a pipeline, not a transaction) and resolves with their replies in
   * order. Rejects with the first failed command's error (the others still ran).
   */
  batch(commands: readonly RedisCommand[]): Promise<RedisReply[]>;
  /** Subscribes `listener` to a pub/sub channel; it is re-subscribed after a reconnect. */
  subscribe(channel: string, listener: (message: string) => void): Promise<void>;
  /** Listens to connection events (one listener, set by the engine). */
  onEvent(listener: (event: PortEvent) => void): void;
  /** Closes every connection. */
  close(): Promise<void>;
}
