import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { buildAcceptResponse, parseList, validateRequest } from '../src/handshake.js';
import { acceptKey, generateKey, isValidKey } from '../src/handshake-key.js';

function request(
  headers: Record<string, string>,
  method = 'GET',
  version: [number, number] = [1, 1],
): IncomingMessage {
  const lower: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) lower[k.toLowerCase()] = v;
  return {
    method,
    httpVersionMajor: version[0],
    httpVersionMinor: version[1],
    headers: lower,
  } as unknown as IncomingMessage;
}

const GOOD = {
  Host: 'server.example.com',
  Upgrade: 'websocket',
  Connection: 'Upgrade',
  'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
  'Sec-WebSocket-Version': '13',
};

describe('accept key (RFC 6455 1.3)', () => {
  it('computes the RFC 1.3 example', () => {
    // Lower-case L after "sM", as printed in RFC 6455 1.3.
    expect(acceptKey('x3JJHMbDL1EzLkh9GBhXDw==')).toBe('HSmrc0sMlYUkAGmm5OPpG2HaGWk=');
  });
  it('computes the RFC 4.2.2 example', () => {
    expect(acceptKey('dGhlIHNhbXBsZSBub25jZQ==')).toBe('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });
  it('generates 16-byte base64 keys', () => {
    const key = generateKey();
    expect(isValidKey(key)).toBe(true);
    expect(Buffer.from(key, 'base64').length).toBe(16);
    expect(generateKey()).not.toBe(key);
  });
});

describe('validateRequest (RFC 6455 4.2.1)', () => {
  it('accepts the RFC example request, with token lists and any case', () => {
    const ok = validateRequest(
      request({
        ...GOOD,
        Upgrade: 'foo, WebSocket',
        Connection: 'keep-alive, UPGRADE',
        'Sec-WebSocket-Protocol': 'chat, superchat',
      }),
    );
    expect(ok).toEqual({
      ok: true,
      key: GOOD['Sec-WebSocket-Key'],
      protocols: new Set(['chat', 'superchat']),
      extensions: undefined,
    });
  });

  const refusals: [string, IncomingMessage, number][] = [
    ['POST', request(GOOD, 'POST'), 405],
    ['HTTP/1.0', request(GOOD, 'GET', [1, 0]), 400],
    ['no Host', request({ ...GOOD, Host: undefined as unknown as string }), 400],
    ['no Upgrade', request({ ...GOOD, Upgrade: 'h2c' }), 400],
    ['no Connection upgrade', request({ ...GOOD, Connection: 'keep-alive' }), 400],
    ['version 8', request({ ...GOOD, 'Sec-WebSocket-Version': '8' }), 426],
    ['no version', request({ ...GOOD, 'Sec-WebSocket-Version': undefined as unknown as string }), 426],
    ['short key', request({ ...GOOD, 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZQ==' }), 400],
    ['no key', request({ ...GOOD, 'Sec-WebSocket-Key': undefined as unknown as string }), 400],
    ['bad subprotocol', request({ ...GOOD, 'Sec-WebSocket-Protocol': 'a b' }), 400],
    ['duplicate subprotocol', request({ ...GOOD, 'Sec-WebSocket-Protocol': 'chat, chat' }), 400],
  ];
  it.each(refusals)('refuses %s', (_name, req, status) => {
    for (const [k, v] of Object.entries(req.headers)) if (v === undefined) delete req.headers[k];
    const result = validateRequest(req);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.status).toBe(status);
    if (!result.ok && status === 426) expect(result.headers).toEqual({ 'Sec-WebSocket-Version': '13' });
  });

  it('parses list headers', () => {
    expect(parseList(' a ,, b,c ')).toEqual(['a', 'b', 'c']);
    expect(parseList(undefined)).toEqual([]);
  });

  it('builds the 101 response', () => {
    expect(buildAcceptResponse('dGhlIHNhbXBsZSBub25jZQ==', 'chat', '', ['X-A: 1'])).toBe(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: chat\r\nX-A: 1\r\n\r\n',
    );
  });
});
