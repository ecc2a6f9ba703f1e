// The memory engine's options (the shared EngineOptions plus maxHistoryBytes), their checks, and its ids.

import { randomBytes } from 'node:crypto';
import { checkQueuePolicy, DEFAULT_ENGINE_OPTIONS, type EngineOptions } from './engine.js';

/** Options of the memory engine beyond the shared EngineOptions. */
export interface MemoryEngineOptions extends EngineOptions {
  /** Bytes of channel history kept over all channels; past it whole channels lose theirs, least recently published first. Default 64 MiB. */
  maxHistoryBytes: number;
}

export const DEFAULT_MAX_HISTORY_BYTES = 64 * 1024 * 1024;

/** 160 bits from crypto (Bayeux §2.4 asks for >= 128), base36 so it stays `alphanum` as the BNF says. */
const ID_BYTES = 20;
const ID_LENGTH = 31; // ceil(160 / log2(36))

export function newClientId(): string {
  return BigInt(`0x${randomBytes(ID_BYTES).toString('hex')}`)
    .toString(36)
    .padStart(ID_LENGTH, '0');
}

/** Fills in the defaults and checks the given options (every engine validates the shared ones the same way). */
export function checkOptions(opts: Partial<MemoryEngineOptions>): MemoryEngineOptions {
  const o: MemoryEngineOptions = { ...DEFAULT_ENGINE_OPTIONS, maxHistoryBytes: DEFAULT_MAX_HISTORY_BYTES };
  for (const key of [
    'maxInterval',
    'maxQueue',
    'maxQueueBytes',
    'maxSubscriptions',
    'sweepInterval',
    'maxHistoryBytes',
  ] as const) {
    const v = opts[key];
    if (v === undefined) continue;
    if (typeof v !== 'number') throw new TypeError(`pushwire engine: ${key} must be a number`);
    if (!Number.isInteger(v) || v < 1)
      throw new RangeError(`pushwire engine: ${key} must be a positive integer`);
    o[key] = v;
  }
  if (opts.queuePolicy !== undefined) o.queuePolicy = checkQueuePolicy(opts.queuePolicy, 'pushwire engine:');
  return o;
}

/** Fills in DEFAULT_ENGINE_OPTIONS and checks the given ones, for other engines (no memory-only options). */
export function resolveEngineOptions(opts: Partial<EngineOptions>): EngineOptions {
  const { maxHistoryBytes: _memoryOnly, ...shared } = checkOptions(opts);
  return shared;
}
