// `pushwire serve` end to end: a child process on port 0 prints its URL, answers /service/echo, stops on SIGTERM.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { HANDSHAKE, post } from './helpers/http.js';

const bin = fileURLToPath(new URL('../../pushwire/bin/pushwire.js', import.meta.url));
let child: ChildProcess | undefined;

afterEach(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  child = undefined;
});

function start(args: string[]): Promise<string> {
  child = spawn(process.execPath, [bin, 'serve', ...args], {
    env: { ...process.env, PUSHWIRE_FROM_SOURCE: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child!.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)\n/.exec(out);
      if (m) resolve(m[1]!);
    });
    child!.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child!.on('exit', (code) => reject(new Error(`exited ${code}: ${err}`)));
  });
}

describe('pushwire serve', () => {
  it('--port 0 prints the real URL, serves /service/echo and stops on SIGTERM with exit code 0', async () => {
    const url = await start(['--port', '0', '--mount', '/cometd', '--timeout', '1000']);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/cometd$/);
    expect(url).not.toMatch(/:0\//);
    const hs = await post(url, [HANDSHAKE]);
    expect(hs.messages[0]).toMatchObject({ successful: true, advice: { timeout: 1000 } });
    const clientId = hs.messages[0]!.clientId as string;
    const echo = await post(url, [{ channel: '/service/echo', clientId, data: { hi: 1 }, id: '5' }]);
    expect(echo.messages).toEqual([{ channel: '/service/echo', id: '5', successful: true, data: { hi: 1 } }]);
    const exited = new Promise<number | null>((r) => child!.once('exit', (code) => r(code)));
    child!.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('serves the browser client at /pushwire.js and <mount>/client.js, 404 elsewhere', async () => {
    const url = await start(['--port', '0']);
    const origin = new URL(url).origin;
    const script = await fetch(`${origin}/pushwire.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    const body = await script.text();
    expect(body).toContain('Pushwire');
    expect(await (await fetch(`${url}/client.js`)).text()).toBe(body);
    expect((await fetch(`${origin}/nothing-here`)).status).toBe(404);
    child!.kill('SIGTERM');
  }, 30_000);

  it('refuses a bad option value with exit code 2', async () => {
    await expect(start(['--port', 'abc'])).rejects.toThrow(/exited 2: pushwire serve: invalid option value/);
  });
});
