// `pushwire echo` end to end: the real CLI in a child process, driven by our client.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { WebSocket } from '@pushwire/websocket';
import { afterEach, describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../bin/pushwire.js', import.meta.url));
let child: ChildProcess | null = null;

afterEach(() => {
  if (child !== null && child.exitCode === null) child.kill('SIGKILL');
  child = null;
});

async function startEcho(): Promise<{ proc: ChildProcess; url: string }> {
  const proc = spawn(
    process.execPath,
    ['--conditions=pushwire-source', bin, 'echo', '--port', '0', '--host', '127.0.0.1'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child = proc;
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    proc.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /ws:\/\/127\.0\.0\.1:(\d+)\//.exec(out);
      if (m) resolve(m[0]);
    });
    proc.once('exit', (code) => reject(new Error(`echo exited early with ${code}: ${out}`)));
  });
  return { proc, url };
}

const message = (ws: WebSocket) =>
  new Promise<[Buffer, boolean]>((r) => ws.once('message', (d, b) => r([d as Buffer, b])));

describe('pushwire echo', () => {
  it('prints its URL, echoes text as text and binary as binary (with deflate), exits 0 on SIGTERM', async () => {
    const { proc, url } = await startEcho();
    expect(url).not.toMatch(/:0\/$/);
    const ws = new WebSocket(`${url}any/path?q=1`, [], { perMessageDeflate: true });
    await once(ws, 'open');
    expect(ws.extensions).toMatch(/^permessage-deflate/);
    ws.send('héllo');
    const [text, textIsBinary] = await message(ws);
    expect([text.toString(), textIsBinary]).toEqual(['héllo', false]);
    const bytes = Buffer.from([0, 0xff, 0x80, 0x7f]);
    ws.send(bytes);
    const [bin, binIsBinary] = await message(ws);
    expect([bin.equals(bytes), binIsBinary]).toEqual([true, true]);
    const big = 'z'.repeat(100_000);
    ws.send(big);
    expect((await message(ws))[0].toString()).toBe(big);

    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    const exited = once(proc, 'exit');
    proc.kill('SIGTERM');
    expect(await closed).toBe(1001);
    expect((await exited)[0]).toBe(0);
  });

  it.each(['--max-fragments', '--max-payload'])('refuses a malformed %s with exit code 2', async (flag) => {
    const proc = spawn(
      process.execPath,
      ['--conditions=pushwire-source', bin, 'echo', '--port', '0', flag, '1.5'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let err = '';
    proc.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    const [code] = (await once(proc, 'exit')) as [number | null];
    expect(code).toBe(2);
    expect(err).toContain(`pushwire echo: ${flag}: expected an integer`);
  });
});
