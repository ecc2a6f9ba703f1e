// The per-request parsing made cheaper in issue 13 must keep its meaning: the mount match (and its query,
// now parsed only for callback-polling) and the POST body's media type (exact client spellings matched
// first, any other spelling still decoded by RFC 9110 8.3.1 rules).
import { describe, expect, it } from 'vitest';
import { matchMount, mountQuery } from '../src/transports/http.js';
import { decodePostBody, HttpError } from '../src/transports/http-body.js';

describe('mountQuery', () => {
  it('the mount, the mount plus one segment, with or without a query', () => {
    expect(mountQuery('/bayeux', '/bayeux')).toBe('');
    expect(mountQuery('/bayeux?jsonp=cb&message=x', '/bayeux')).toBe('jsonp=cb&message=x');
    expect(mountQuery('/bayeux/connect', '/bayeux')).toBe('');
    expect(mountQuery('/bayeux/connect?x=1', '/bayeux')).toBe('x=1');
    expect(mountQuery('/', '/')).toBe('');
    expect(mountQuery('/handshake', '/')).toBe('');
  });

  it('anything else is not ours', () => {
    expect(mountQuery(undefined, '/bayeux')).toBeUndefined();
    expect(mountQuery('/bayeuxx', '/bayeux')).toBeUndefined();
    expect(mountQuery('/bayeux/a/b', '/bayeux')).toBeUndefined();
    expect(mountQuery('/other?x=/bayeux', '/bayeux')).toBeUndefined();
    expect(mountQuery('/a/b', '/')).toBeUndefined();
  });

  it('matchMount parses the same query', () => {
    expect(matchMount('/bayeux?jsonp=cb', '/bayeux')?.get('jsonp')).toBe('cb');
    expect(matchMount('/nope', '/bayeux')).toBeUndefined();
  });
});

describe('decodePostBody media types', () => {
  const body = Buffer.from('[{"channel":"/meta/connect"}]');
  it.each([
    'application/json',
    'application/json;charset=UTF-8',
    'application/json; charset=utf-8',
    'Application/JSON; charset=UTF-8',
    ' application/json ;charset=utf-8',
    'text/plain;charset=UTF-8',
    undefined,
  ])('%s is decoded as JSON', (type) => {
    expect(decodePostBody(type, body, 10).messages).toEqual([{ channel: '/meta/connect' }]);
  });

  it('form bodies and refusals are unchanged', () => {
    const form = Buffer.from(`message=${encodeURIComponent('[{"channel":"/a"}]')}`);
    expect(decodePostBody('application/x-www-form-urlencoded; charset=UTF-8', form, 10).messages).toEqual([
      { channel: '/a' },
    ]);
    expect(() => decodePostBody('application/jsonx', body, 10)).toThrow(HttpError);
    expect(() => decodePostBody('image/png', body, 10)).toThrow(/unsupported content type 'image\/png'/);
  });
});
