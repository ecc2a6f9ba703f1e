// A RedisPort that "dies" the way a pushwire node does when it is killed between two steps: from the first
// batch that holds a chosen script (or command) on, nothing it sends reaches Redis (every batch rejects).
// What it sent before stays done, as Redis acknowledged it. Tests use it to stop an engine between the
// one-slot steps of a presence change and check that the survivors stay correct.

import type { RedisCommand, RedisPort, RedisReply } from '../src/index.js';

function matches(command: RedisCommand, what: string): boolean {
  if (Array.isArray(command)) return command[0] === what;
  return (command as { script: { name: string } }).script.name === what;
}

export class DyingPort implements RedisPort {
  readonly #inner: RedisPort;
  #dieAt: string | undefined;
  #dead = false;

  readonly cluster: boolean;

  constructor(inner: RedisPort) {
    this.#inner = inner;
    this.cluster = inner.cluster === true;
  }

  /** From the first batch holding `what` (a script name, or a command name like 'SREM') on, fail. */
  dieAt(what: string): void {
    this.#dieAt = what;
  }

  get dead(): boolean {
    return this.#dead;
  }

  batch(commands: readonly RedisCommand[]): Promise<RedisReply[]> {
    const at = this.#dieAt;
    if (!this.#dead && at !== undefined && commands.some((c) => matches(c, at))) this.#dead = true;
    if (this.#dead) return Promise.reject(new Error('dying port: this node is dead'));
    return this.#inner.batch(commands);
  }

  subscribe(channel: string, listener: (message: string) => void): Promise<void> {
    return this.#inner.subscribe(channel, listener);
  }

  onEvent(listener: Parameters<RedisPort['onEvent']>[0]): void {
    this.#inner.onEvent(listener);
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}
