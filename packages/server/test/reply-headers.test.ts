// The headers of long-polling and callback-polling replies, read as bytes off a raw socket (issue 13 wrote
// them in one writeHead with a flat array): each header exactly once, never cacheable, the exact length,
// and headers set earlier in the request (CORS, the browser cookie) merged in, not lost or doubled.
import { connect as tcpConnect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { connectedClient, HANDSHAKE, type Harness, startServer } from './helpers/http.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

interface RawReply {
  status: string;
  /** Lower-cased header names in order, with their values. */
  headers: [string, string][];
  body: string;
}

/** One HTTP/1.1 request over its own socket; the reply parsed from the bytes (Content-Length framed). */
function raw(port: number, head: string, body = ''): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect(port, '127.0.0.1');
    let data = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      data = Buffer.concat([data, chunk]);
      const end = data.indexOf('\r\n\r\n');
      if (end < 0) return;
      const lines = data.subarray(0, end).toString('latin1').split('\r\n');
      const headers = lines.slice(1).map((l): [string, string] => {
        const colon = l.indexOf(':');
        return [l.slice(0, colon).toLowerCase(), l.slice(colon + 1).trim()];
      });
      const length = Number(headers.find(([k]) => k === 'content-length')?.[1]);
      if (data.length - end - 4 < length) return;
      socket.destroy();
      resolve({
        status: lines[0]!,
        headers,
        body: data.subarray(end + 4, end + 4 + length).toString('utf8'),
      });
    });
    socket.on('error', reject);
    socket.write(
      `${head}\r\nHost: 127.0.0.1:${port}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  });
}

function port(h: Harness): number {
  return Number(new URL(h.url).port);
}

function names(r: RawReply): string[] {
  return r.headers.map(([k]) => k).sort();
}

function header(r: RawReply, name: string): string | undefined {
  return r.headers.find(([k]) => k === name)?.[1];
}

describe('reply headers', () => {
  it('long-polling connect reply: each header once, no-cache, exact length', async () => {
    h = await startServer({ timeout: 0 });
    const clientId = await connectedClient(h.url);
    const body = JSON.stringify([
      { channel: '/meta/connect', clientId, connectionType: 'long-polling', id: '2' },
    ]);
    const r = await raw(port(h), 'POST /bayeux HTTP/1.1\r\nContent-Type: application/json', body);
    expect(r.status).toBe('HTTP/1.1 200 OK');
    expect(names(r)).toEqual(
      [
        'cache-control',
        'connection',
        'content-length',
        'content-type',
        'date',
        'keep-alive',
        'pragma',
      ].sort(),
    );
    expect(header(r, 'content-type')).toBe('application/json; charset=utf-8');
    expect(header(r, 'cache-control')).toBe('no-cache, no-store');
    expect(header(r, 'pragma')).toBe('no-cache');
    expect(Number(header(r, 'content-length'))).toBe(Buffer.byteLength(r.body));
    expect(JSON.parse(r.body)).toMatchObject([{ channel: '/meta/connect', id: '2', successful: true }]);
  });

  it('handshake: the cookie set earlier is merged in', async () => {
    h = await startServer();
    const r = await raw(
      port(h),
      'POST /bayeux HTTP/1.1\r\nContent-Type: application/json',
      JSON.stringify([HANDSHAKE]),
    );
    expect(header(r, 'set-cookie')).toMatch(
      /^BAYEUX_BROWSER=[A-Za-z0-9_-]{16,}; Path=\/; HttpOnly; SameSite=Lax$/,
    );
    expect(header(r, 'cache-control')).toBe('no-cache, no-store');
    expect(names(r).filter((n) => n === 'content-type' || n === 'set-cookie')).toEqual([
      'content-type',
      'set-cookie',
    ]);
  });

  it('cross-origin with cors: the CORS headers set earlier are merged in, once each', async () => {
    h = await startServer({ cors: { origins: ['http://app.example'], credentials: true } });
    const r = await raw(
      port(h),
      'POST /bayeux HTTP/1.1\r\nContent-Type: application/json\r\nOrigin: http://app.example',
      JSON.stringify([HANDSHAKE]),
    );
    expect(header(r, 'access-control-allow-origin')).toBe('http://app.example');
    expect(header(r, 'access-control-allow-credentials')).toBe('true');
    expect(header(r, 'vary')).toBe('Origin');
    expect(header(r, 'pragma')).toBe('no-cache');
    const counts = new Map<string, number>();
    for (const [k] of r.headers) counts.set(k, (counts.get(k) ?? 0) + 1);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
  });

  it('callback-polling: script type, nosniff, attachment, no-cache, each once', async () => {
    h = await startServer();
    const q = `message=${encodeURIComponent(JSON.stringify([{ ...HANDSHAKE, supportedConnectionTypes: ['callback-polling'] }]))}&jsonp=cb`;
    const r = await raw(port(h), `GET /bayeux?${q} HTTP/1.1`);
    expect(r.status).toBe('HTTP/1.1 200 OK');
    expect(header(r, 'content-type')).toBe('text/javascript; charset=utf-8');
    expect(header(r, 'x-content-type-options')).toBe('nosniff');
    expect(header(r, 'content-disposition')).toBe('attachment; filename=f.txt');
    expect(header(r, 'cache-control')).toBe('no-cache, no-store');
    expect(header(r, 'pragma')).toBe('no-cache');
    expect(Number(header(r, 'content-length'))).toBe(Buffer.byteLength(r.body));
    expect(r.body.startsWith('/**/cb([{')).toBe(true);
    expect(new Set(names(r)).size).toBe(r.headers.length);
  });
});
