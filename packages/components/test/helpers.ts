// Test helpers: real servers on 127.0.0.1 port 0, `ws` as an independent client, raw TCP for the bytes.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WS from 'ws';
import type { Connection, IoServer } from '../src/index.js';

export { WS };

/** Ratchet's echo: every message back to its sender. */
export const echo = { onMessage: (conn: Connection, m: string | Buffer) => void conn.send(m) };

/** A raw WebSocket upgrade request for `path` (RFC 6455 1.3's sample key), `extra` header lines added. */
export const upgradeRequest = (path = '/', extra = ''): string =>
  `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
  `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`;

/**
 * A fresh self-signed certificate (EC P-256, one day, CN localhost, SAN IP:127.0.0.1 and DNS:localhost),
 * made by the openssl CLI: key and certificate in PEM, the files already removed.
 */
export function selfSignedCert(): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'pushwire-tls-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
      ],
      { stdio: 'ignore' },
    );
    return {
      key: readFileSync(join(dir, 'key.pem'), 'utf8'),
      cert: readFileSync(join(dir, 'cert.pem'), 'utf8'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function listen(server: IoServer): Promise<string> {
  await server.run();
  return `ws://127.0.0.1:${server.port}`;
}

const inbox = new WeakMap<WS, { queue: (string | Buffer)[]; waiters: ((m: string | Buffer) => void)[] }>();

/** Every message a client gets is queued from the start (a message in the same packet as the 101 too). */
function track(ws: WS): void {
  const box = { queue: [] as (string | Buffer)[], waiters: [] as ((m: string | Buffer) => void)[] };
  inbox.set(ws, box);
  ws.on('message', (data, isBinary) => {
    const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Buffer);
    const m = isBinary ? buf : buf.toString('utf8');
    const w = box.waiters.shift();
    if (w) w(m);
    else box.queue.push(m);
  });
}

/** Opens a `ws` client and resolves once open (rejects on error / unexpected response). */
export function openWs(
  url: string,
  options: WS.ClientOptions = {},
  protocols?: string | string[],
  onUpgrade?: (res: import('node:http').IncomingMessage) => void,
): Promise<WS> {
  return new Promise((resolve, reject) => {
    const ws = new WS(url, protocols, options);
    track(ws);
    if (onUpgrade) ws.once('upgrade', onUpgrade);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
}

/** Resolves with the HTTP status a refused upgrade got. */
export function refusedStatus(url: string, options: WS.ClientOptions = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WS(url, options);
    ws.once('open', () => {
      ws.terminate();
      reject(new Error('opened'));
    });
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
      ws.terminate();
    });
    ws.once('error', () => {});
  });
}

/** The next message, as text (binary as a Buffer). */
export function nextMessage(ws: WS): Promise<string | Buffer> {
  const box = inbox.get(ws);
  if (box === undefined) throw new Error('not opened with openWs');
  const queued = box.queue.shift();
  if (queued !== undefined) return Promise.resolve(queued);
  return new Promise((resolve) => box.waiters.push(resolve));
}

export function closed(ws: WS): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => {
    if (ws.readyState === WS.CLOSED) {
      resolve({ code: 1006, reason: '' });
      return;
    }
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() }));
  });
}

/** Sends raw bytes over TCP and collects everything until the server closes. */
export function rawExchange(port: number, bytes: string | Buffer, host = '127.0.0.1'): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = net.connect(port, host, () => socket.write(bytes));
    socket.on('data', (d) => chunks.push(d));
    socket.on('close', () => resolve(Buffer.concat(chunks)));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNRESET') return;
      reject(err);
    });
  });
}

/**
 * Resolves after `predicate` becomes true, checking on every event-loop turn (no timers, so it works under
 * fake timers). Bounded by real elapsed time (performance.now is never faked here), not by a count of
 * turns: on a loaded machine a socket's bytes may take many thousands of turns to arrive.
 */
export async function until(predicate: () => boolean, limitMs = 10_000): Promise<void> {
  const start = performance.now();
  while (performance.now() - start < limitMs) {
    if (predicate()) return;
    await new Promise((r) => setImmediate(r));
  }
  if (predicate()) return;
  throw new Error(`condition never became true within ${limitMs} ms`);
}

/** Sends raw bytes and resolves with the first chunk the server answers (then drops the socket). */
export function firstReply(port: number, bytes: string | Buffer, host = '127.0.0.1'): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, host, () => socket.write(bytes));
    socket.once('data', (d) => {
      resolve(d);
      socket.destroy();
    });
    socket.once('close', () => resolve(Buffer.alloc(0)));
    socket.on('error', reject);
  });
}

/** Writes raw bytes and resolves with everything received once `done(received)` is true (then drops the socket). */
export function rawUntil(
  port: number,
  bytes: string | Buffer,
  done: (received: Buffer) => boolean,
  host = '127.0.0.1',
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let received = Buffer.alloc(0);
    const socket = net.connect(port, host, () => socket.write(bytes));
    socket.on('data', (d) => {
      received = Buffer.concat([received, d]);
      if (done(received)) {
        socket.destroy();
        resolve(received);
      }
    });
    socket.on('close', () => resolve(received));
    socket.on('error', reject);
  });
}
