// `npm run bench -- [websocket|bayeux] [--quick] [--only=a,b] [--servers=x,y]`: dispatches to the suites;
// no name runs them all. --only picks scenarios, --servers picks implementations (for quick iterations).
import { runBayeuxBench } from './bayeux/suite.js';
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
const suites: Record<string, (o: BenchOptions) => Promise<void>> = {
  websocket: runWebsocketBench,
  bayeux: runBayeuxBench,
};
const chosen = names.length === 0 ? Object.keys(suites) : names;
for (const name of chosen) {
  const suite = suites[name];
  if (!suite) {
    console.error(`unknown bench "${name}"; choose from: ${Object.keys(suites).join(', ')}`);
    process.exit(2);
  }
  await suite({ quick, ...(only ? { only } : {}), ...(servers ? { servers } : {}) });
}
process.exit(0);
