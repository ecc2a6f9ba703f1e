// `npm start` runs the server (the demo server, apps/demo, issue 11) in ONE process that a signal stops:
// killing npm (as a terminal's Ctrl-C or a process manager's SIGTERM does) must leave no `node ...` behind
// still listening (issue 7: Debian's sh does not exec the script's last command, so the shell died and node
// was orphaned).
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const started: number[] = [];

/** Pids of the live processes whose command line contains `marker` (Linux /proc). */
function processesWith(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.includes(marker)) pids.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

afterEach(() => {
  for (const pid of started.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone, as it should be
    }
  }
});

describe.skipIf(!existsSync('/proc'))('npm start', () => {
  // From the sources (tsx registered in the same process), and compiled (dist/, what `npm install` builds).
  const modes = existsSync(join(repo, 'apps/demo/dist/server/main.js')) ? ['source', 'dist'] : ['source'];
  const cases = modes.flatMap((mode) =>
    (['SIGTERM', 'SIGINT'] as const).map((signal) => [signal, mode] as const),
  );
  it.each(cases)(
    'stopped with %s (%s): the port is free and no process remains',
    async (signal, mode) => {
      // A unique mount marks this run's processes; --port 0 (the last --port wins) keeps 8000 free.
      const marker = `/start-test-${process.pid}-${signal}-${mode}`;
      const env: NodeJS.ProcessEnv = { ...process.env, PUSHWIRE_FROM_SOURCE: '1' };
      if (mode === 'dist') delete env.PUSHWIRE_FROM_SOURCE;
      const child = spawn(npm, ['start', '--', '--port', '0', '--mount', marker], {
        cwd: repo,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      started.push(child.pid as number);
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          // The demo prints its pages' URL, then the Bayeux endpoint's (on the --mount path).
          const m = /Bayeux at (http:\/\/\S+)/.exec(out);
          if (m) resolve(m[1] as string);
        });
        child.once('exit', (code) => reject(new Error(`npm start exited ${code}: ${err}`)));
      });
      const port = Number(new URL(url).port);
      expect(new URL(url).pathname).toBe(marker);
      const servers = processesWith(marker).filter((pid) => pid !== child.pid);
      expect(servers.length).toBeGreaterThan(0);
      for (const pid of servers) started.push(pid);
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill(signal);
      await exited;
      // npm waits for its script to end, so once npm has exited nothing of it may be left.
      expect(processesWith(marker)).toEqual([]);
      expect(await refused(port)).toBe(true);
    },
    30_000,
  );
});
