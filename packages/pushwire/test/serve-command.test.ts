// `pushwire serve` end to end: a child process prints its URL, answers /service/echo, serves the browser
// client, maps its flags onto the server's options, and stops on SIGTERM.
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { HANDSHAKE, killAll, post, run, start } from './helpers/cli.js';

afterEach(killAll);

const connect = (clientId: string, id: string) => ({
  channel: '/meta/connect',
  clientId,
  connectionType: 'long-polling',
  id,
});

describe('pushwire serve', () => {
  it('--port 0 prints the real URL, serves /service/echo and stops on SIGTERM with exit code 0', async () => {
    const s = await start(['serve', '--port', '0', '--mount', '/cometd', '--timeout', '1000']);
    expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/cometd$/);
    expect(s.url).not.toMatch(/:0\//);
    const hs = await post(s.url, [HANDSHAKE]);
    expect(hs.messages[0]).toMatchObject({ successful: true, advice: { timeout: 1000 } });
    const clientId = hs.messages[0]?.clientId as string;
    const echo = await post(s.url, [{ channel: '/service/echo', clientId, data: { hi: 1 }, id: '5' }]);
    expect(echo.messages).toEqual([{ channel: '/service/echo', id: '5', successful: true, data: { hi: 1 } }]);
    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(0);
  });

  it('serves the browser client at /pushwire.js and <mount>/client.js, 404 elsewhere', async () => {
    const s = await start(['serve', '--port', '0']);
    const origin = new URL(s.url).origin;
    const script = await fetch(`${origin}/pushwire.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    const body = await script.text();
    expect(body).toContain('Pushwire');
    expect(await (await fetch(`${s.url}/client.js`)).text()).toBe(body);
    expect((await fetch(`${origin}/nothing-here`)).status).toBe(404);
    s.child.kill('SIGTERM');
  }, 30_000);

  it('a bad value names its option and exits with code 2', async () => {
    const r = await run(['serve', '--port', 'abc']);
    expect(r.code).toBe(2);
    expect(r.err).toBe(
      `pushwire serve: --port: expected an integer 0-65535, got "abc"\nRun 'pushwire help serve' for its options.\n`,
    );
  });

  it('--max-sessions-per-browser: two long-polling clients of one cookie; default 1 advises the second multiple-clients, -1 holds both', async () => {
    for (const [flag, expectMultiple] of [
      [[], true] as const,
      [['--max-sessions-per-browser', '-1'], false] as const,
    ]) {
      const s = await start(['serve', '--port', '0', '--timeout', '500', ...flag]);
      const a = await post(s.url, [HANDSHAKE]);
      const cookie = (a.headers.get('set-cookie') ?? '').split(';')[0] as string;
      expect(cookie).toMatch(/^BAYEUX_BROWSER=/);
      const idA = a.messages[0]?.clientId as string;
      await post(s.url, [connect(idA, '2')], { cookie });
      // A's second connect is held (until --timeout): it occupies the browser's one long poll.
      const heldA = post(s.url, [connect(idA, '3')], { cookie });
      const b = await post(s.url, [HANDSHAKE], { cookie });
      const idB = b.messages[0]?.clientId as string;
      await post(s.url, [connect(idB, '2')], { cookie });
      const second = await post(s.url, [connect(idB, '3')], { cookie });
      const advice = second.messages.at(-1)?.advice as Record<string, unknown>;
      if (expectMultiple) expect(advice).toMatchObject({ 'multiple-clients': true, interval: 2000 });
      else expect(advice['multiple-clients']).toBeUndefined();
      expect((await heldA).messages.at(-1)).toMatchObject({ channel: '/meta/connect', successful: true });
      s.child.kill('SIGTERM');
      expect(await s.exited).toBe(0);
    }
  }, 30_000);

  it('--cors: the listed origins get CORS headers, others are refused; * allows any', async () => {
    const s = await start([
      'serve',
      '--port',
      '0',
      '--cors',
      'https://a.example',
      '--cors',
      'http://b.example:8080',
    ]);
    for (const origin of ['https://a.example', 'http://b.example:8080']) {
      const ok = await post(s.url, [HANDSHAKE], { origin });
      expect(ok.status).toBe(200);
      expect(ok.headers.get('access-control-allow-origin')).toBe(origin);
    }
    const refused = await post(s.url, [HANDSHAKE], { origin: 'https://evil.example' });
    expect(refused.status).toBe(403);
    s.child.kill('SIGTERM');
    await s.exited;
    const any = await start(['serve', '--port', '0', '--cors', '*']);
    const r = await post(any.url, [HANDSHAKE], { origin: 'https://anyone.example' });
    expect(r.headers.get('access-control-allow-origin')).toBe('https://anyone.example');
    any.child.kill('SIGTERM');
  }, 30_000);

  it('--allowed-host: a Host not listed is refused on loopback (DNS rebinding); listed and loopback names pass', async () => {
    const s = await start([
      'serve',
      '--port',
      '0',
      '--allowed-host',
      'chat.example',
      '--allowed-host',
      '.corp.example',
    ]);
    const port = Number(new URL(s.url).port);
    const statusFor = (host: string): Promise<number> =>
      new Promise((resolve, reject) => {
        const req = request(
          {
            host: '127.0.0.1',
            port,
            path: '/bayeux',
            method: 'POST',
            agent: false,
            headers: { Host: host, 'Content-Type': 'application/json' },
          },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end(JSON.stringify([HANDSHAKE]));
      });
    expect(await statusFor(`chat.example:${port}`)).toBe(200);
    expect(await statusFor(`a.corp.example:${port}`)).toBe(200);
    expect(await statusFor(`localhost:${port}`)).toBe(200);
    expect(await statusFor(`127.0.0.1:${port}`)).toBe(200);
    expect(await statusFor(`rebind.evil.example:${port}`)).toBe(403);
    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(0);
  }, 30_000);

  it.each([
    [
      ['--allowed-host', 'chat.example:8000'],
      '--allowed-host: expected a host name such as chat.example.com or .example.com (no port), got "chat.example:8000"',
    ],
    [
      ['--allowed-host', 'all', '--allowed-host', 'a.example'],
      '--allowed-host: all allows every host; give it alone',
    ],
    [['--max-connections', '0'], '--max-connections: expected an integer 1-1000000, got "0"'],
    [
      ['--cors', 'https://a.example/path'],
      '--cors: expected an origin such as https://example.com (no path), or *, got "https://a.example/path"',
    ],
    [['--cors', '*', '--cors', 'https://a.example'], '--cors: * allows every origin; give it alone'],
    [
      ['--max-sessions-per-browser', '-2'],
      '--max-sessions-per-browser: expected an integer -1 to 65535, got "-2"',
    ],
    [['--timeout', '1.5'], '--timeout: expected an integer 0-3600000, got "1.5"'],
    [['--delivery-window', '1001'], '--delivery-window: expected an integer 0-1000, got "1001"'],
    [['--mount', 'bayeux'], '--mount: expected a path starting with /, got "bayeux"'],
    [['--prot', '1'], "Unknown option '--prot'"],
  ])('%j is refused: %s', async (args, message) => {
    const r = await run(['serve', ...args]);
    expect(r.code).toBe(2);
    expect(r.err.split('\n')[0]).toBe(`pushwire serve: ${message}`);
  });
});
