// request-info.ts: the headers that say where a request came from, as plain functions of a request.
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import {
  hostName,
  hostRefusal,
  isCrossSite,
  isSameOrigin,
  remoteAddressOf,
  schemeOf,
} from '../src/request-info.js';

function req(
  headers: Record<string, string>,
  socket: { localAddress?: string; remoteAddress?: string; encrypted?: boolean } = {},
): IncomingMessage {
  return {
    headers,
    socket: { localAddress: '127.0.0.1', remoteAddress: '127.0.0.1', ...socket },
  } as unknown as IncomingMessage;
}

describe('request-info', () => {
  it('hostName drops the port and the trailing dot, keeps IPv6 brackets', () => {
    expect(hostName('Example.COM:8000')).toBe('example.com');
    expect(hostName('localhost.')).toBe('localhost');
    expect(hostName('[::1]:8000')).toBe('[::1]');
  });

  it('on a loopback address only loopback names, IP literals and the list pass', () => {
    expect(hostRefusal(req({ host: 'localhost:1' }), [])).toBeUndefined();
    expect(hostRefusal(req({ host: 'x.localhost' }), [])).toBeUndefined();
    expect(hostRefusal(req({ host: '[::1]:1' }), [])).toBeUndefined();
    expect(hostRefusal(req({ host: 'evil.example' }), [])).toMatch(/not allowed/);
    expect(hostRefusal(req({ host: 'evil.example' }, { localAddress: '::ffff:127.0.0.1' }), [])).toMatch(
      /not allowed/,
    );
    expect(hostRefusal(req({ host: 'evil.example' }), ['evil.example'])).toBeUndefined();
    expect(hostRefusal(req({ host: 'evil.example' }), 'all')).toBeUndefined();
  });

  it('on another address any Host passes unless a list is given', () => {
    const lan = { localAddress: '10.0.0.5' };
    expect(hostRefusal(req({ host: 'my-box.lan' }, lan), [])).toBeUndefined();
    expect(hostRefusal(req({ host: 'my-box.lan' }, lan), ['chat.example'])).toMatch(/not allowed/);
    expect(hostRefusal(req({ host: 'chat.example' }, lan), ['chat.example'])).toBeUndefined();
    expect(hostRefusal(req({ host: '10.0.0.5:80' }, lan), ['chat.example'])).toBeUndefined();
  });

  it('a Host that passed is remembered for its list only; refused Hosts are judged every time', () => {
    const listA = ['chat.example'];
    const listB: string[] = [];
    for (let i = 0; i < 3; i++) {
      expect(hostRefusal(req({ host: 'chat.example' }), listA)).toBeUndefined();
      expect(hostRefusal(req({ host: 'chat.example' }), listB)).toMatch(/not allowed/);
      expect(hostRefusal(req({ host: '127.0.0.1:8000' }), listB)).toBeUndefined();
      expect(hostRefusal(req({ host: 'rebind.evil.example' }), listB)).toMatch(/not allowed/);
      expect(hostRefusal(req({ host: 'localhost:1' }), listB)).toBeUndefined();
      expect(hostRefusal(req({ host: 'localhost:1' }, { localAddress: '10.0.0.5' }), ['x.example'])).toMatch(
        /not allowed/,
      );
    }
  });

  it('same origin is scheme, host and port', () => {
    const r = req({ host: 'a.example:8000' });
    expect(isSameOrigin('http://a.example:8000', r)).toBe(true);
    expect(isSameOrigin('https://a.example:8000', r)).toBe(false);
    expect(isSameOrigin('http://a.example', r)).toBe(false);
    expect(isSameOrigin('https://a.example', req({ host: 'a.example' }, { encrypted: true }))).toBe(true);
    expect(isSameOrigin('https://a.example', req({ host: 'a.example:443' }, { encrypted: true }))).toBe(true);
    expect(schemeOf(req({ 'x-forwarded-proto': 'https, http' }))).toBe('https:');
    expect(isSameOrigin('not a url', r)).toBe(false);
  });

  it('cross-site: Sec-Fetch-Site first, then Origin, then Referer; nothing means not cross-site', () => {
    const host = { host: 'app.example' };
    expect(isCrossSite(req({ ...host, 'sec-fetch-site': 'cross-site' }))).toBe(true);
    expect(isCrossSite(req({ ...host, 'sec-fetch-site': 'same-site', referer: 'http://x.example/' }))).toBe(
      false,
    );
    expect(isCrossSite(req({ ...host, 'sec-fetch-site': 'same-origin' }))).toBe(false);
    expect(isCrossSite(req({ ...host, 'sec-fetch-site': 'none' }))).toBe(false);
    expect(isCrossSite(req({ ...host, referer: 'http://evil.example/page' }))).toBe(true);
    expect(isCrossSite(req({ ...host, referer: 'http://app.example/page' }))).toBe(false);
    expect(isCrossSite(req({ ...host, origin: 'http://evil.example' }))).toBe(true);
    expect(isCrossSite(req({ ...host, origin: 'null' }))).toBe(true);
    expect(isCrossSite(req(host))).toBe(false);
  });

  it('remoteAddress: the socket, or with trustProxy the right-most X-Forwarded-For entry', () => {
    const r = req({ 'x-forwarded-for': '198.51.100.1, 203.0.113.5' }, { remoteAddress: '10.0.0.1' });
    expect(remoteAddressOf(r, false)).toBe('10.0.0.1');
    expect(remoteAddressOf(r, true)).toBe('203.0.113.5');
    expect(remoteAddressOf(req({}, { remoteAddress: '10.0.0.1' }), true)).toBe('10.0.0.1');
  });
});
