// A `pushwire serve --engine redis://...` (or redis-cluster://...) child process for the cluster tests (cluster*.test.ts).

import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../pushwire/bin/pushwire.js', import.meta.url));

export interface Node {
  child: ChildProcess;
  port: number;
}

/** Starts one node (timeout 2 s, maxInterval 5 s, plus `extra` flags); resolves once it listens. */
export function startNode(redisUrl: string, prefix: string, extra: readonly string[] = []): Promise<Node> {
  const child = spawn(
    process.execPath,
    [
      bin,
      'serve',
      '--port',
      '0',
      '--engine',
      redisUrl,
      '--redis-prefix',
      prefix,
      '--timeout',
      '2000',
      '--max-interval',
      '5000',
      ...extra,
    ],
    { env: { ...process.env, PUSHWIRE_FROM_SOURCE: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)\//.exec(out);
      if (m?.[1] !== undefined) resolve({ child, port: Number(m[1]) });
    });
    child.once('exit', (code) => reject(new Error(`node exited ${code}: ${err}`)));
  });
}

export async function waitFor(check: () => boolean, what: () => string, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
