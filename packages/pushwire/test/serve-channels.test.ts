// `pushwire serve --history PATTERN=SIZE --presence PATTERN` (issue 9): the flags parse into the server's
// `channels` option, bad values exit 2 with a message, and a served channel keeps history and presence.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Client } from '@pushwire/client';
import { afterEach, describe, expect, it } from 'vitest';
import { channelFlags } from '../src/commands/channel-flags.js';

const bin = fileURLToPath(new URL('../bin/pushwire.js', import.meta.url));
let child: ChildProcess | undefined;

afterEach(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  child = undefined;
});

function start(args: string[]): Promise<string> {
  const proc = spawn(process.execPath, [bin, 'serve', ...args], {
    env: { ...process.env, PUSHWIRE_FROM_SOURCE: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = proc;
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    proc.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)\n/.exec(out);
      if (m?.[1] !== undefined) resolve(m[1]);
    });
    proc.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
    });
    proc.on('exit', (code) => reject(new Error(`exited ${code}: ${err}`)));
  });
}

describe('channel flags', () => {
  it('builds the channels option; a pattern in both flags gets both', () => {
    expect(channelFlags(['/chat/**=100', '/feed=1'], ['/chat/**', '/room/*'])).toEqual({
      '/chat/**': { history: { size: 100 }, presence: true },
      '/feed': { history: { size: 1 } },
      '/room/*': { presence: true },
    });
    expect(channelFlags()).toEqual({});
  });

  it('refuses a missing pattern or a size outside 1..1,000,000 (crossed by one)', () => {
    expect(channelFlags(['/a=1000000'])).toEqual({ '/a': { history: { size: 1_000_000 } } });
    for (const bad of ['/a=1000001', '/a=0', '/a', '=5', '/a=x', '/a=1.5']) {
      expect(channelFlags([bad])).toMatch(/^--history wants PATTERN=SIZE/);
    }
    expect(channelFlags([], [''])).toMatch(/--presence/);
  });
});

describe('pushwire serve with --history and --presence', () => {
  it('serves history (last N on subscribe) and presence on the given patterns', async () => {
    const url = await start([
      '--port',
      '0',
      '--timeout',
      '1000',
      '--history',
      '/chat/**=2',
      '--presence',
      '/chat/**',
    ]);
    const publisher = new Client(url, { transports: ['long-polling'] });
    const reader = new Client(url, { transports: ['long-polling'] });
    try {
      for (let i = 1; i <= 3; i++) await publisher.publish('/chat/room', i);
      const got: unknown[] = [];
      const two = new Promise<void>((resolve) => {
        reader.subscribe(
          '/chat/room',
          (data) => {
            got.push(data);
            if (got.length === 2) resolve();
          },
          { history: 5 },
        );
      });
      await two;
      // Size 2: the oldest of three is gone.
      expect(got).toEqual([2, 3]);
      expect((await publisher.presence('/chat/room')).count).toBe(1);
    } finally {
      await publisher.disconnect();
      await reader.disconnect();
    }
  });

  it('exits 2 on a bad --history value or a refused pattern', async () => {
    await expect(start(['--port', '0', '--history', '/chat=0'])).rejects.toThrow(
      /exited 2: .*--history wants/,
    );
    await expect(start(['--port', '0', '--presence', '/meta/**'])).rejects.toThrow(
      /exited 2: .*broadcast channel/,
    );
  });
});
