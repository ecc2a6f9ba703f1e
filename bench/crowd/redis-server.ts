// The crowd's own Redis: a `redis-server` child on a free 127.0.0.1 port, without persistence, so the bench
// never touches the shared 127.0.0.1:6379 and its memory figure is the crowd's alone. INFO and PING go
// through `redis-cli` (bounded by a timeout), so the harness needs no Redis client of its own.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../lib/free-port.js';
import { infoField } from './plan.js';

/** Ms redis-server may take to answer PING after it was started. */
const READY_TIMEOUT_MS = 20_000;
/** Ms one redis-cli call may take. */
const CLI_TIMEOUT_MS = 15_000;
/** Clients redis-server accepts: every node's engine holds a few connections; far above what 14 nodes use. */
const MAX_CLIENTS = 1024;

export interface BenchRedis {
  port: number;
  pid: number;
  url: string;
  /** INFO memory `used_memory` (bytes). */
  usedMemory(): Promise<number>;
  stop(): Promise<void>;
}

function cli(port: number, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'redis-cli',
      ['-h', '127.0.0.1', '-p', String(port), ...args],
      { timeout: CLI_TIMEOUT_MS },
      (err, out) => (err ? reject(new Error(`redis-cli ${args.join(' ')}: ${err.message}`)) : resolve(out)),
    );
  });
}

export async function startRedis(): Promise<BenchRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'pushwire-crowd-redis-'));
  let cp: ChildProcess;
  try {
    cp = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--maxclients',
        String(MAX_CLIENTS),
        '--dir',
        dir,
        '--daemonize',
        'no',
        '--loglevel',
        'warning',
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const exited = new Promise<void>((resolve) => cp.once('exit', () => resolve()));
  cp.once('error', () => {});
  const killNow = (): void => {
    cp.kill('SIGKILL');
  };
  process.on('exit', killNow);
  const stop = async (): Promise<void> => {
    process.off('exit', killNow);
    if (cp.exitCode === null && cp.signalCode === null) {
      cp.kill('SIGTERM');
      const timer = setTimeout(() => cp.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (cp.exitCode !== null) {
      await stop();
      throw new Error(`redis-server exited (${cp.exitCode}) before answering on port ${port}`);
    }
    const pong = await cli(port, ['ping']).catch(() => '');
    if (pong.trim() === 'PONG') break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`redis-server on port ${port}: no PONG within ${READY_TIMEOUT_MS} ms`);
    }
    await sleep(100);
  }
  return {
    port,
    pid: cp.pid ?? 0,
    url: `redis://127.0.0.1:${port}`,
    usedMemory: async () => infoField(await cli(port, ['info', 'memory']), 'used_memory'),
    stop,
  };
}
