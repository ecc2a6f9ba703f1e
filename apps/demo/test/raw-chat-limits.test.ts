import { describe, expect, it } from 'vitest';
import { demoPerFile, eventually, rawChatter, upgradeStatus, waitFor } from './helpers.js';

const fixture = demoPerFile({ maxRawFrameBytes: 256, maxRawChatters: 3 });

describe('raw WebSocket limits', () => {
  it('maxRawFrameBytes: a frame at the limit is read, one byte more closes with 1009', async () => {
    const raw = rawChatter(fixture.server, 'room=limits&nick=big');
    await raw.next('welcome');
    const frame = (n: number) => {
      const prefix = '{"type":"message","text":"';
      const suffix = '"}';
      return prefix + 'x'.repeat(n - prefix.length - suffix.length) + suffix;
    };
    raw.ws.send(frame(256));
    // 256 bytes fits: it is read, and refused only for its text length (maxMessageLength is 500: accepted).
    await raw.next('message', (m) => m.nick === 'big');
    raw.ws.send(frame(257));
    expect((await raw.closed).code).toBe(1009);
  });

  it('bad frames get an error frame, the socket stays open', async () => {
    const raw = rawChatter(fixture.server, 'room=limits&nick=bad');
    await raw.next('welcome');
    raw.ws.send('not json');
    expect((await raw.next('error')).message).toMatch(/JSON text/);
    raw.ws.send(JSON.stringify({ type: 'shout' }));
    await waitFor(
      () => (raw.frames.filter((f) => f.type === 'error').length === 2 ? true : undefined),
      'second error',
    );
    raw.ws.send(JSON.stringify({ type: 'echo', sent: 42 }));
    expect(await raw.next('echo')).toEqual({ type: 'echo', sent: 42 });
    raw.ws.close();
  });

  it('a refused join closes with 1008 and the reason', async () => {
    const raw = rawChatter(fixture.server, 'room=limits&nick=');
    expect(await raw.closed).toEqual({ code: 1008, reason: 'a nickname is 1-32 characters' });
  });

  it('another site cannot open the raw chat (Origin checked), the Bayeux mount neither', async () => {
    expect(
      await upgradeStatus(fixture.server, '/ws/chat?room=x&nick=y', { Origin: 'http://evil.example' }),
    ).toBe(403);
    expect(await upgradeStatus(fixture.server, '/bayeux', { Origin: 'http://evil.example' })).toBe(403);
    // Any other path: the component router's 404.
    expect(await upgradeStatus(fixture.server, '/elsewhere')).toBe(404);
  });

  it('a lying Host (DNS rebinding: Host and Origin both rebind.evil.example) is refused on the raw chat too', async () => {
    // Regression: the raw chat compared Origin with Host, which a rebinding page makes equal; the Bayeux
    // mount already refused such a Host (allowedHosts loopback guard), the raw chat did not.
    const port = new URL(fixture.server.url).port;
    const evil = { Host: `rebind.evil.example:${port}`, Origin: `http://rebind.evil.example:${port}` };
    expect(await upgradeStatus(fixture.server, '/ws/chat?room=x&nick=y', evil)).toBe(403);
    expect(await upgradeStatus(fixture.server, '/bayeux', evil)).toBe(403);
    // Loopback names and IP literals are still served (the page as opened on this machine).
    const local = { Host: `localhost:${port}`, Origin: `http://localhost:${port}` };
    expect(await upgradeStatus(fixture.server, '/ws/chat?room=x&nick=y', local)).toBe(101);
  });

  it('maxRawChatters crossed by one is 503', async () => {
    const open = [0, 1, 2].map((i) => rawChatter(fixture.server, `room=full&nick=n${i}`));
    await Promise.all(open.map((r) => r.next('welcome')));
    expect(await upgradeStatus(fixture.server, '/ws/chat?room=full&nick=n3')).toBe(503);
    for (const r of open) r.ws.close();
    await Promise.all(open.map((r) => r.closed));
    await eventually(
      async () =>
        (await fixture.server.bayeux.presence('/chat/messages/full')).count === 0 ? true : undefined,
      'the room to empty',
    );
    const again = rawChatter(fixture.server, 'room=full&nick=n4');
    await again.next('welcome');
    again.ws.close();
  });
});
