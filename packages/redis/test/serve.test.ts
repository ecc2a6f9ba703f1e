// `pushwire serve --engine redis://...`: two server processes on one Redis (same --redis-prefix) are one
// cluster: a session made on one is served by the other. Both offer the ack extension to clients asking.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { HANDSHAKE, post } from '../../server/test/helpers/http.js';
import { deleteKeys, REDIS_URL, redisAvailable, testPrefix } from './redis-helpers.js';

const available = await redisAvailable();
const bin = fileURLToPath(new URL('../../pushwire/bin/pushwire.js', import.meta.url));
const children: ChildProcess[] = [];
const prefix = testPrefix();

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await deleteKeys(prefix);
});

function serve(args: string[]): {
  child: ChildProcess;
  url: Promise<string>;
  exit: Promise<[number | null, string]>;
} {
  const child = spawn(process.execPath, [bin, 'serve', '--port', '0', ...args], {
    env: { ...process.env, PUSHWIRE_FROM_SOURCE: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<[number | null, string]>((r) => child.once('exit', (code) => r([code, err])));
  const url = new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)\n/.exec(out);
      if (m?.[1] !== undefined) resolve(m[1]);
    });
    void exit.then(([code, e]) => reject(new Error(`exited ${code}: ${e}`)));
  });
  url.catch(() => undefined); // a test that expects the exit awaits `exit` instead

  return { child, url, exit };
}

describe.runIf(available)('pushwire serve --engine redis', () => {
  it('two processes on one Redis serve the same sessions; the ack extension is offered', async () => {
    const a = serve(['--engine', REDIS_URL, '--redis-prefix', prefix]);
    const b = serve(['--engine', REDIS_URL, '--redis-prefix', prefix]);
    const [urlA, urlB] = await Promise.all([a.url, b.url]);
    const hs = await post(urlA, [{ ...HANDSHAKE, ext: { ack: true } }]);
    expect(hs.messages[0]).toMatchObject({ successful: true, ext: { ack: true } });
    const clientId = hs.messages[0]?.clientId as string;
    // The session made on A is known on B.
    const echo = await post(urlB, [{ channel: '/service/echo', clientId, data: { hi: 1 }, id: '2' }]);
    expect(echo.messages).toEqual([{ channel: '/service/echo', id: '2', successful: true, data: { hi: 1 } }]);
    const plain = await post(urlB, [HANDSHAKE]);
    expect(plain.messages[0]?.ext?.ack).toBeUndefined();
    a.child.kill('SIGTERM');
    b.child.kill('SIGTERM');
    expect((await a.exit)[0]).toBe(0);
    expect((await b.exit)[0]).toBe(0);
  }, 30_000);

  it('refuses an engine that is neither memory nor a redis URL, and --redis-prefix without redis', async () => {
    const bad = serve(['--engine', 'mongodb://x']);
    expect(await bad.exit).toEqual([
      2,
      expect.stringContaining('--engine must be memory, redis://host:port or redis-cluster://'),
    ]);
    const orphan = serve(['--redis-prefix', 'p']);
    expect(await orphan.exit).toEqual([2, expect.stringContaining('--redis-prefix needs --engine redis://')]);
  }, 30_000);
});
