// `npm run bench -- [websocket|bayeux] [--quick]`: dispatches to the suites; no name runs them all.
import { runBayeuxBench } from './bayeux/suite.js';
import { runWebsocketBench } from './websocket/suite.js';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const names = argv.filter((a) => !a.startsWith('--'));
const suites: Record<string, (o: { quick: boolean }) => Promise<void>> = {
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
  await suite({ quick });
}
process.exit(0);
