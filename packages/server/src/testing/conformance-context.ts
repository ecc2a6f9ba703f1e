// What the parts of the engine conformance suite share: the factory and context types, the fake-timer
// setup every timing test uses, and a publish helper.

import { vi } from 'vitest';
import type { Engine, EngineOptions } from '../engine/engine.js';
import type { RecordingSink } from './recording-sink.js';

export type EngineFactory = (opts: Partial<EngineOptions>) => Promise<Engine>;

/** What each part of the suite gets from the entry (engineConformance). */
export interface ConformanceContext {
  /** A new engine (closed after the test) with the test's sink. */
  make(opts?: Partial<EngineOptions>): Promise<Engine>;
  /** The test's RecordingSink. */
  sink(): RecordingSink;
}

/**
 * Fakes setInterval/setTimeout and Date only: setImmediate, nextTick and I/O stay real, so a networked
 * engine still talks to its store. Engines measure liveness with Date.now() and sweep on a timer.
 */
export function useEngineFakeTimers(): void {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
}

/** A message and its encoded text, as the server hands them to Engine.publish. */
export const msg = (channel: string, data: unknown = 1) => {
  const message = { channel, data };
  return { message, encoded: JSON.stringify(message) };
};

export async function publish(engine: Engine, channel: string, data: unknown = 1): Promise<number> {
  const { message, encoded } = msg(channel, data);
  return engine.publish(message, encoded);
}
