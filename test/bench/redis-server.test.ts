// The cluster bench's own redis-server (bench/cluster/redis-server.ts): a fresh process on a free port,
// never the shared 6379, whose CPU is readable from /proc, and which is gone once stopped.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { REDIS_SERVER, startRedis } from '../../bench/cluster/redis-server.js';

const here = dirname(fileURLToPath(import.meta.url));

/** Sends one inline command and resolves with the first reply chunk, or the connection error's code. */
function ask(port: number, command: string): Promise<string> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    sock.setTimeout(5000, () => {
      sock.destroy();
      resolve('timeout');
    });
    sock.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    sock.on('connect', () => sock.write(`${command}\r\n`));
    sock.on('data', (d: Buffer) => {
      sock.destroy();
      resolve(d.toString());
    });
  });
}

describe.skipIf(!existsSync(REDIS_SERVER) && !process.env.CI)('bench redis-server', () => {
  it('starts on a free port without persistence, reports its CPU, and is gone after stop', async () => {
    const redis = await startRedis();
    try {
      expect(redis.port).not.toBe(6379);
      expect(await ask(redis.port, 'PING')).toBe('+PONG\r\n');
      const save = await ask(redis.port, 'CONFIG GET save');
      expect(save).toBe('*2\r\n$4\r\nsave\r\n$0\r\n\r\n');
      expect(await ask(redis.port, 'CONFIG GET appendonly')).toContain('no');
      const before = await redis.commandCalls();
      await ask(redis.port, 'PING');
      const after = await redis.commandCalls();
      expect((after.ping ?? 0) - (before.ping ?? 0)).toBe(1);
      const cpu = redis.cpuSeconds();
      expect(Number.isFinite(cpu)).toBe(true);
      expect(cpu).toBeGreaterThanOrEqual(0);
    } finally {
      await redis.stop();
    }
    expect(existsSync(`/proc/${redis.pid}`)).toBe(false);
    expect(await ask(redis.port, 'PING')).toBe('ECONNREFUSED');
  }, 30_000);

  it('dies with the harness when the harness gets SIGTERM (no orphaned redis-server)', async () => {
    const holder = spawn(process.execPath, ['--import', 'tsx', join(here, 'redis-holder.fixture.ts')], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const pid = await new Promise<number>((resolve, reject) => {
      let out = '';
      holder.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /redis-pid (\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      holder.once('exit', (code) => reject(new Error(`holder exited (${code}) before starting redis`)));
    });
    expect(existsSync(`/proc/${pid}`)).toBe(true);
    const exited = new Promise<number | null>((resolve) => holder.once('exit', (code) => resolve(code)));
    holder.kill('SIGTERM');
    expect(await exited).toBe(143);
    // SIGKILLed by the holder on its way out; gone once the kernel has reaped it (init adopts it).
    for (let i = 0; i < 100 && existsSync(`/proc/${pid}`) && !isZombie(pid); i++) await sleep(50);
    expect(!existsSync(`/proc/${pid}`) || isZombie(pid)).toBe(true);
  }, 60_000);
});

function isZombie(pid: number): boolean {
  try {
    return / Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
