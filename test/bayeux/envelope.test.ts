// What each HTTP transport puts around the messages (Bayeux §6.1-6.2 plus the hardening the issue asks
// for), and the rule that a handshake travels alone (Bayeux §4.1.1), checked on the wire.

import { describe, expect, it } from 'vitest';
import { request } from './support/http.js';
import { unwrapJsonp } from './support/jsonp-driver.js';
import { matrix } from './support/matrix.js';
import { PROFILES } from './support/profiles.js';
import { type RunningServer, type ServerKind, selectedServers, startServer } from './support/servers.js';
import { Session } from './support/session.js';
import { parseBatch } from './support/transport.js';
import { WsDriver } from './support/ws-driver.js';

const handshake = (id: string, type = 'long-polling') => ({
  channel: '/meta/handshake',
  version: '1.0',
  supportedConnectionTypes: [type],
  id,
});

function withServer(kind: ServerKind, body: (s: RunningServer) => Promise<void>) {
  return async () => {
    const s = await startServer(kind);
    try {
      await body(s);
    } finally {
      await s.close();
    }
  };
}

for (const kind of selectedServers()) {
  const profile = PROFILES[kind];

  describe(`callback-polling envelope [${kind} server]`, () => {
    it(
      'wraps replies as /**/callback([...]); with text/javascript and nosniff',
      withServer(kind, async (s) => {
        const q = new URLSearchParams({
          message: JSON.stringify([handshake('j1', 'callback-polling')]),
          jsonp: 'cb_1',
        });
        const res = await request('GET', `${s.url}?${q}`);
        expect(res.status).toBe(200);
        expect(res.headers['content-type']).toMatch(/^text\/javascript/);
        expect(res.headers['x-content-type-options']).toBe('nosniff');
        expect(res.body.startsWith('/**/cb_1(')).toBe(true);
        expect(res.body.trimEnd().endsWith(');')).toBe(true);
        const [reply] = parseBatch(unwrapJsonp(res.body, 'cb_1'), 'jsonp');
        expect(reply).toMatchObject({ channel: '/meta/handshake', successful: true, id: 'j1' });
      }),
    );

    it(
      'uses the default callback name jsonpcallback (Bayeux §6.2.1)',
      withServer(kind, async (s) => {
        const q = new URLSearchParams({ message: JSON.stringify([handshake('j2', 'callback-polling')]) });
        const res = await request('GET', `${s.url}?${q}`);
        expect(res.status).toBe(200);
        expect(parseBatch(unwrapJsonp(res.body, 'jsonpcallback'), 'jsonp')[0]?.successful).toBe(true);
      }),
    );

    it(
      'refuses callback names that are not plain identifiers',
      withServer(kind, async (s) => {
        for (const jsonp of ['alert(1)//', 'a-b', '1abc', 'a..b', 'x;y', '<script>']) {
          const q = new URLSearchParams({
            message: JSON.stringify([handshake('j3', 'callback-polling')]),
            jsonp,
          });
          const res = await request('GET', `${s.url}?${q}`);
          expect(res.status, jsonp).toBe(400);
          expect(res.body, jsonp).not.toContain(jsonp);
        }
      }),
    );

    it.skipIf(!profile.jsonpCallbackLengthCapped)(
      'accepts a 64-character callback name and refuses 65',
      withServer(kind, async (s) => {
        const message = JSON.stringify([handshake('j4', 'callback-polling')]);
        const ok = await request(
          'GET',
          `${s.url}?${new URLSearchParams({ message, jsonp: 'a'.repeat(64) })}`,
        );
        expect(ok.status).toBe(200);
        const tooLong = await request(
          'GET',
          `${s.url}?${new URLSearchParams({ message, jsonp: 'a'.repeat(65) })}`,
        );
        expect(tooLong.status).toBe(400);
      }),
    );

    it(
      'escapes U+2028 and U+2029 inside the script',
      withServer(kind, async (s) => {
        const sub = await Session.open(s, 'callback-polling');
        const pub = await Session.open(s, 'long-polling');
        await sub.subscribe('/lines');
        await pub.publish('/lines', 'a\u2028b\u2029c');
        // Poll by hand to see the raw body.
        const q = new URLSearchParams({
          message: JSON.stringify([
            { channel: '/meta/connect', clientId: sub.clientId, connectionType: 'callback-polling', id: 'c' },
          ]),
          jsonp: 'cb',
        });
        const res = await request('GET', `${s.url}?${q}`);
        expect(res.body).not.toMatch(/[\u2028\u2029]/);
        expect(res.body).toContain('\\u2028');
        const batch = parseBatch(unwrapJsonp(res.body, 'cb'), 'jsonp');
        expect(batch.find((m) => m.channel === '/lines')?.data).toBe('a\u2028b\u2029c');
      }),
    );
  });

  describe(`long-polling envelope [${kind} server]`, () => {
    it(
      'answers JSON with no-cache, no-store',
      withServer(kind, async (s) => {
        const res = await request('POST', s.url, {
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify([handshake('l1')]),
        });
        expect(res.status).toBe(200);
        expect(res.headers['content-type']).toMatch(/^application\/json/);
        expect(res.headers['cache-control']).toMatch(/no-cache/);
        expect(res.headers['cache-control']).toMatch(/no-store/);
        expect(parseBatch(res.body, 'lp')[0]).toMatchObject({ successful: true, id: 'l1' });
      }),
    );

    it(
      'accepts one bare object as well as an array (Bayeux §2.5)',
      withServer(kind, async (s) => {
        const res = await request('POST', s.url, {
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(handshake('l2')),
        });
        expect(res.status).toBe(200);
        expect(parseBatch(res.body, 'lp')[0]).toMatchObject({ successful: true, id: 'l2' });
      }),
    );

    it(
      'accepts form-encoded message= values, one or several (Bayeux §6.1.1)',
      withServer(kind, async (s) => {
        const one = await request('POST', s.url, {
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ message: JSON.stringify([handshake('f1')]) }).toString(),
        });
        expect(one.status).toBe(200);
        expect(parseBatch(one.body, 'form')[0]).toMatchObject({ successful: true, id: 'f1' });
      }),
    );

    it(
      'answers malformed JSON with HTTP 400 and keeps serving',
      withServer(kind, async (s) => {
        const bad = await request('POST', s.url, {
          headers: { 'content-type': 'application/json' },
          body: '[{"channel":',
        });
        expect(bad.status).toBe(400);
        const good = await request('POST', s.url, {
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify([handshake('l3')]),
        });
        expect(parseBatch(good.body, 'lp')[0]?.successful).toBe(true);
      }),
    );
  });
}

matrix('handshake travels alone', (ctx) => {
  it.skipIf(!ctx.profile.handshakeTravelsAlone)(
    'ignores the other messages of a handshake request',
    async () => {
      const sub = await ctx.open();
      const pub = await ctx.open();
      await sub.subscribe(['/alone', '/marker']);
      const d = await ctx.driver();
      const type =
        ctx.transport === 'websocket'
          ? 'websocket'
          : ctx.transport === 'callback-polling'
            ? 'callback-polling'
            : 'long-polling';
      // The publish rides with the handshake under another (valid) client's id and no id of its own.
      const batch = await d.send(
        [handshake('h', type), { channel: '/alone', clientId: pub.clientId, data: 'sneaked' }],
        {
          awaitIds: ['h'],
        },
      );
      expect(batch.find((m) => m.id === 'h')?.successful).toBe(true);
      if (d instanceof WsDriver) {
        // Frames are answered in order: once a later request is answered, an earlier reply would be in.
        await d.send(handshake('h2', type));
        expect(d.frames.flat().filter((m) => m.channel === '/alone')).toEqual([]);
      } else {
        expect(batch.filter((m) => m.channel === '/alone')).toEqual([]);
      }
      await pub.publish('/marker', 'm');
      await sub.receive((m) => m.channel === '/marker');
      expect(sub.on('/alone')).toEqual([]);
    },
  );
});
