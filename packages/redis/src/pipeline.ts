// One ioredis pipeline for a list of port commands, shared by the single-Redis and the Cluster port:
// scripts go by sha (EVALSHA) and, when the server does not know them (NOSCRIPT: a restarted server, a
// SCRIPT FLUSH, a Cluster node that never saw the script), are sent in full once, in their original order.
// Only scripts fail with NOSCRIPT, so nothing runs twice.

import type { ChainableCommander } from 'ioredis';
import type { LuaScript, RedisCommand, RedisReply } from './port.js';

/** A command's outcome: its error, or null and its reply. */
export type Settled = [Error | null, RedisReply];

function isNoScript(err: unknown): boolean {
  return err instanceof Error && err.message.startsWith('NOSCRIPT');
}

async function exec(
  pipeline: () => ChainableCommander,
  commands: readonly RedisCommand[],
  full: (index: number) => boolean,
): Promise<Settled[]> {
  const p = pipeline();
  for (const [i, command] of commands.entries()) {
    if (Array.isArray(command)) {
      const [name, ...args] = command as readonly [string, ...(string | number)[]];
      p.call(name, ...args);
    } else {
      const { script, keys, args } = command as {
        script: LuaScript;
        keys: readonly string[];
        args: readonly (string | number)[];
      };
      if (full(i)) p.eval(script.source, keys.length, ...keys, ...args);
      else p.evalsha(script.sha, keys.length, ...keys, ...args);
    }
  }
  const result = await p.exec();
  // exec() resolves null only when the pipeline was discarded (never for a plain pipeline).
  if (result === null) throw new Error('pushwire redis: pipeline discarded');
  return result as Settled[];
}

/**
 * Runs `commands` in one pipeline (from `pipeline()`), retrying NOSCRIPT failures in full. `full(i)`: send
 * script i in full at once (a server known not to have it yet: a retry would run it after later commands).
 */
export async function execSettled(
  pipeline: () => ChainableCommander,
  commands: readonly RedisCommand[],
  full: (index: number) => boolean = () => false,
): Promise<Settled[]> {
  const replies = await exec(pipeline, commands, full);
  const retry: number[] = [];
  replies.forEach(([err], i) => {
    if (isNoScript(err)) retry.push(i);
  });
  if (retry.length > 0) {
    const again = await exec(
      pipeline,
      retry.map((i) => commands[i] as RedisCommand),
      () => true,
    );
    retry.forEach((i, j) => {
      replies[i] = again[j] as Settled;
    });
  }
  return replies;
}

/** The replies in order, or the first failed command's error (RedisPort.batch's contract). */
export function unwrap(replies: readonly Settled[]): RedisReply[] {
  const out: RedisReply[] = [];
  for (const [err, value] of replies) {
    if (err) throw err;
    out.push(value);
  }
  return out;
}
