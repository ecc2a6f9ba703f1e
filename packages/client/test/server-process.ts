// A Bayeux server in a child process (a fixture under ./fixtures that prints `ready <port>`), and a
// SIGKILL for it: a process death with no goodbye, no advice, for the restart tests.

import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Starts `fixtures/<fixture>` on `port` (0: any) and resolves once it listens. */
export function startProcess(fixture: string, port = 0): Promise<{ child: ChildProcess; port: number }> {
  const file = fileURLToPath(new URL(`./fixtures/${fixture}`, import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=pushwire-source', file], {
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /ready (\d+)/.exec(out);
      if (match) resolve({ child, port: Number(match[1]) });
    });
    child.once('exit', (code) => reject(new Error(`server process exited early (${code})`)));
  });
}

/** SIGKILLs the child (if still running) and resolves on its exit. */
export function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}
