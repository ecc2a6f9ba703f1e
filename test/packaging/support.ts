// Helpers for the packaging tests: pack the workspaces, install the tarballs in a fresh folder outside the
// clone, pull the runnable examples out of a README, and run them as a user would.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const REPO = fileURLToPath(new URL('../../', import.meta.url));
/** Every workspace folder under packages/ (each is packed and installed; apps/* are private, never packed). */
export const WORKSPACES = (
  JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { workspaces: string[] }
).workspaces
  .filter((w) => w.startsWith('packages/'))
  .map((w) => w.replace(/^packages\//, ''));
/** The packages the README documents (each must ship its README). */
export const PACKAGES = ['websocket', 'bayeux', 'server', 'client', 'redis', 'pushwire'] as const;

/** The environment of a child npm/node: none of the npm_* variables of the `npm test` running us. */
export function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k)) env[k] = v;
  return env;
}

/** What `npm install` (its `prepare`) builds; packing without it would ship packages that cannot load. */
export function missingBuild(): string[] {
  const wanted = [
    ...WORKSPACES.map((p) => `packages/${p}/dist/index.js`),
    'packages/pushwire/dist/cli.js',
    'packages/client/dist/pushwire-client.iife.js',
  ];
  return wanted.filter((f) => !existsSync(join(REPO, f)));
}

/** `npm pack` of every workspace into `dir`; the tarball paths. */
export async function packAll(dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const workspaces = WORKSPACES.flatMap((w) => ['--workspace', `packages/${w}`]);
  const { stdout } = await run('npm', ['pack', ...workspaces, '--pack-destination', dir, '--json'], {
    cwd: REPO,
    env: cleanEnv(),
    maxBuffer: 64 * 1024 * 1024,
  });
  const packed = JSON.parse(stdout) as { filename: string }[];
  return packed.map((p) => join(dir, p.filename));
}

/** Lists the files of a tarball (`tar tzf`). */
export async function tarList(tarball: string): Promise<string[]> {
  const { stdout } = await run('tar', ['tzf', tarball], { maxBuffer: 64 * 1024 * 1024 });
  return stdout.split('\n').filter(Boolean);
}

/**
 * A fresh ES-module project in `dir` with every tarball installed in ONE `npm install` (they depend on each
 * other at the same version, so none of ours is fetched). The one third-party runtime dependency,
 * `@pushwire/redis`'s ioredis, comes from npm's cache when it is there and from the registry otherwise
 * (`--prefer-offline`): a fresh machine's cache, filled by `npm ci` from the lockfile's tarball URLs, holds
 * the tarballs but not the registry metadata an install by range needs, so `--offline` failed there.
 */
export async function installApp(dir: string, tarballs: string[]): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(
    join(dir, 'package.json'),
    `${JSON.stringify({ name: 'readme-examples', version: '1.0.0', private: true, type: 'module' }, null, 2)}\n`,
  );
  await run(
    'npm',
    ['install', '--prefer-offline', '--no-audit', '--no-fund', '--no-package-lock', ...tarballs],
    {
      cwd: dir,
      env: cleanEnv(),
    },
  );
}

/** The code blocks of a README that name their file on the first line (`// server.js`, `<!-- index.html`). */
export async function examplesOf(readme: string): Promise<Map<string, string>> {
  const text = await readFile(readme, 'utf8');
  const found = new Map<string, string>();
  for (const m of text.matchAll(/```(?:js|html)\n([\s\S]*?)```/g)) {
    const code = m[1] as string;
    const name = /^(?:\/\/|<!--)\s*([\w.-]+\.(?:js|html))\b/.exec(code)?.[1];
    if (name !== undefined) found.set(name, code);
  }
  return found;
}

/** A port free right now on 127.0.0.1 (the examples' fixed 8000 is replaced by it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Writes the examples into `dir` with their port 8000 replaced by `port`. */
export async function writeExamples(dir: string, examples: Map<string, string>, port: number): Promise<void> {
  for (const [file, code] of examples)
    await writeFile(join(dir, file), code.replaceAll('8000', String(port)));
}

export interface Proc {
  child: ChildProcess;
  out(): string;
  err(): string;
  /** Resolves once stdout contains `text`; rejects if the process ends first or after `ms`. */
  waitFor(text: string, ms?: number): Promise<void>;
  exited: Promise<number | null>;
}

const procs = new Set<ChildProcess>();

export function killAll(): void {
  for (const c of procs) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  procs.clear();
}

/** Runs `node <args>` in `cwd`, collecting its output. */
export function node(cwd: string, args: string[]): Proc {
  const child = spawn(process.execPath, args, { cwd, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  procs.add(child);
  let out = '';
  let err = '';
  const waiters: (() => void)[] = [];
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    for (const w of waiters) w();
  });
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('close', (code) => r(code)));
  return {
    child,
    out: () => out,
    err: () => err,
    exited,
    waitFor: (text, ms = 15_000) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no ${JSON.stringify(text)} within ${ms} ms: ${out} ${err}`)),
          ms,
        );
        const check = (): void => {
          if (!out.includes(text)) return;
          clearTimeout(timer);
          resolve();
        };
        waiters.push(check);
        check();
        void exited.then(() => {
          clearTimeout(timer);
          if (!out.includes(text))
            reject(new Error(`exited before printing ${JSON.stringify(text)}: ${out} ${err}`));
        });
      }),
  };
}
