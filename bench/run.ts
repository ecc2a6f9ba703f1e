// `npm run bench -- [websocket|bayeux|cost|cluster|crowd] [--quick] [--only=a,b] [--servers=x,y] [--no-build]`: dispatches
// to the suites; no name runs them all. --only picks scenarios, --servers picks implementations (for quick
// iterations). Our packages are built first and loaded from dist/ (BENCH_SOURCE=1: from the sources).
import { spawnSync } from 'node:child_process';
import { runBayeuxBench } from './bayeux/suite.js';
import { runClusterBench } from './cluster/suite.js';
import { runCostBench } from './cost/suite.js';
import { runCrowdBench } from './crowd/suite.js';
import type { BenchOptions } from './lib/options.js';
import { runWebsocketBench } from './websocket/suite.js';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const names = argv.filter((a) => !a.startsWith('--'));
const list = (flag: string): string[] | undefined =>
  argv
    .find((a) => a.startsWith(`--${flag}=`))
    ?.slice(flag.length + 3)
    .split(',');
const only = list('only');
const servers = list('servers');
const steps = list('steps')?.map(Number);
const clients = list('clients')?.map(Number)[0];
const suites: Record<string, (o: BenchOptions) => Promise<void>> = {
  websocket: runWebsocketBench,
  bayeux: runBayeuxBench,
  cost: runCostBench,
  cluster: runClusterBench,
  crowd: runCrowdBench,
};
// `cost` (callgrind instruction counts) is asked for by name only: it needs valgrind and BENCH_CALLGRIND;
// `cluster` too (issue 12: it starts its own redis-server and up to 3 nodes per contender).
// `crowd` too (100,000 idle clients over a dozen processes: several GiB and minutes of ramp).
const chosen = names.length === 0 ? ['websocket', 'bayeux'] : names;
// Our servers run compiled (dist): build first, so the figures are those of the code in the tree.
if (process.env.BENCH_SOURCE !== '1' && !argv.includes('--no-build')) {
  console.log('building (npm run build) so the children run dist/ ...');
  const built = spawnSync('npm', ['run', 'build'], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (built.status !== 0) {
    console.error('npm run build failed: not benchmarking stale dist/');
    process.exit(1);
  }
}
for (const name of chosen) {
  const suite = suites[name];
  if (!suite) {
    console.error(`unknown bench "${name}"; choose from: ${Object.keys(suites).join(', ')}`);
    process.exit(2);
  }
  await suite({
    quick,
    ...(only ? { only } : {}),
    ...(servers ? { servers } : {}),
    ...(clients ? { clients } : {}),
    ...(steps ? { steps } : {}),
  });
}
process.exit(0);
