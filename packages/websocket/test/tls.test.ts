// wss:// end to end: our client over node:https against our server attached to an https server.
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import type net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from '../src/server.js';
import { WebSocket } from '../src/websocket.js';

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(!hasOpenssl())('wss://', () => {
  let dir = '';
  let key = '';
  let cert = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pushwire-tls-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    key = readFileSync(join(dir, 'key.pem'), 'utf8');
    cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('connects, reports secure to verifyClient, echoes, and refuses an untrusted certificate', async () => {
    const server = https.createServer({ key, cert });
    const secure: boolean[] = [];
    const wss = new WebSocketServer({
      server,
      verifyClient: (info) => {
        secure.push(info.secure);
        return true;
      },
    });
    wss.on('connection', (ws) => ws.on('message', (d) => ws.send(d.toString())));
    const listening = once(wss, 'listening'); // re-emitted from the https server
    server.listen(0, '127.0.0.1');
    await listening;
    const url = `wss://127.0.0.1:${(server.address() as net.AddressInfo).port}/`;
    try {
      const ws = new WebSocket(url, [], { tls: { ca: cert } });
      await once(ws, 'open');
      ws.send('over tls');
      const [data] = (await once(ws, 'message')) as [Buffer];
      expect(data.toString()).toBe('over tls');
      expect(secure).toEqual([true]);
      ws.close();
      await new Promise((r) => ws.once('close', r));

      const untrusted = new WebSocket(url);
      let code: string | undefined;
      untrusted.on('error', (err) => {
        code = (err as { code?: string }).code;
      });
      const closeCode = await new Promise<number>((r) => untrusted.once('close', (c) => r(c)));
      expect([code, closeCode]).toEqual(['WS_ERR_HANDSHAKE_FAILED', 1006]);
    } finally {
      await wss.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
