// The engine conformance suite: what every Engine (memory, Redis, ...) must do, written before any engine.
// Each engine's test file calls `engineConformance('memory', (opts) => ...)`; the Redis engine runs the same
// suite unchanged (STYLE.md, after Faye's shared engine specs). The cases live in one file per concern
// (clients, queue, expiry, state, history, presence, queue-take); this entry owns the engines and the sink.
//
// Timing tests use vitest fake timers for setInterval/setTimeout and Date only (useEngineFakeTimers).
// Every engine created here is closed after its test.

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Engine, EngineOptions } from '../engine/engine.js';
import { EngineError } from '../engine/engine.js';
import { clientsConformance } from './clients-conformance.js';
import type { EngineFactory } from './conformance-context.js';
import { msg } from './conformance-context.js';
import { queueTakeConformance } from './engine-conformance-queue-take.js';
import { expiryConformance } from './expiry-conformance.js';
import { historyConformance } from './history-conformance.js';
import { presenceConformance } from './presence-conformance.js';
import { queueConformance } from './queue-conformance.js';
import { RecordingSink } from './recording-sink.js';
import { stateConformance } from './state-conformance.js';

export type { ConformanceContext, EngineFactory } from './conformance-context.js';
export { type LeftEvent, RecordingSink } from './recording-sink.js';

export function engineConformance(name: string, factory: EngineFactory): void {
  describe(`engine conformance: ${name}`, () => {
    const open: Engine[] = [];
    let sink: RecordingSink;

    async function make(opts: Partial<EngineOptions> = {}): Promise<Engine> {
      const engine = await factory(opts);
      open.push(engine);
      engine.setSink(sink);
      return engine;
    }

    beforeEach(() => {
      sink = new RecordingSink();
    });

    afterEach(async () => {
      vi.useRealTimers();
      for (const engine of open.splice(0)) await engine.close().catch(() => undefined);
    });

    const ctx = { make, sink: () => sink };
    clientsConformance(ctx);
    queueConformance(ctx);
    expiryConformance(ctx);
    stateConformance(ctx);
    historyConformance(ctx);
    presenceConformance(ctx);
    queueTakeConformance(ctx);

    describe('close', () => {
      it('later calls reject with ENGINE_CLOSED', async () => {
        const engine = await make();
        const id = await engine.createClient();
        await engine.close();
        for (const call of [
          () => engine.createClient(),
          () => engine.clientExists(id),
          () => engine.subscribe(id, '/a'),
          () => engine.publish(msg('/a').message, msg('/a').encoded),
          () => engine.takeQueue(id),
          () => engine.ping(id),
        ]) {
          const err = await call().then(
            () => undefined,
            (e: unknown) => e,
          );
          expect(err).toBeInstanceOf(EngineError);
          expect((err as EngineError).code).toBe('ENGINE_CLOSED');
        }
        expect(sink.destroyedLog).toEqual([]);
      });
    });
  });
}
