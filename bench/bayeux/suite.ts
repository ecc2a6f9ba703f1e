import type { BenchOptions } from '../websocket/suite.js';

export async function runBayeuxBench(_opts: BenchOptions): Promise<void> {
  console.log('bayeux bench: not yet');
}
