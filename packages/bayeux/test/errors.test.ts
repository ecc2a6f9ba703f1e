import { describe, expect, it } from 'vitest';
import {
  BAYEUX_ERRORS,
  BayeuxError,
  bayeuxError,
  errorString,
  parseError,
  sanitizeErrorArg,
} from '../src/errors.js';

describe('error table (Bayeux 3.14)', () => {
  it('produces CometD wire strings', () => {
    expect(errorString('sessionUnknown')).toBe('402::session_unknown');
    expect(errorString('handshakeDenied')).toBe('403::handshake_denied');
    expect(errorString('publishDenied', 'denied_by_security_policy')).toBe(
      '403:denied_by_security_policy:publish_denied',
    );
    expect(errorString('subscribeDenied', 'denied_by_security_policy')).toBe(
      '403:denied_by_security_policy:subscribe_denied',
    );
    expect(errorString('channelInvalid')).toBe('405::channel_invalid');
    expect(errorString('channelMissing')).toBe('400::channel_missing');
    expect(errorString('badRequest')).toBe('400::bad_request');
    expect(errorString('messageIdInvalid')).toBe('405::message_id_invalid');
    expect(errorString('connectionTypesNotSupported', 'long-polling', 'websocket')).toBe(
      '301:long-polling,websocket:connection_types_not_supported',
    );
    expect(errorString('fieldMissing', 'data')).toBe('400:data:field_missing');
  });

  it('every entry has a 3-digit code and a snake_case message', () => {
    for (const entry of Object.values(BAYEUX_ERRORS)) {
      expect(entry.code).toBeGreaterThanOrEqual(100);
      expect(entry.code).toBeLessThanOrEqual(999);
      expect(entry.message).toMatch(/^[a-z_]+$/);
    }
  });

  it('sanitises args so they cannot break the framing', () => {
    expect(sanitizeErrorArg('a:b,c')).toBe('a_b_c');
    expect(sanitizeErrorArg('/foo/bar')).toBe('/foo/bar');
    expect(errorString('publishDenied', 'no:way, sorry')).toBe('403:no_way_ sorry:publish_denied');
    const parsed = parseError(errorString('publishDenied', 'x:y'));
    expect(parsed?.args).toEqual(['x_y']);
  });

  it('BayeuxError carries code, args, kind; toString and JSON are the wire form', () => {
    const err = bayeuxError('subscribeDenied', 'denied_by_security_policy');
    expect(err).toBeInstanceOf(Error);
    expect(err).toBeInstanceOf(BayeuxError);
    expect(err.code).toBe(403);
    expect(err.args).toEqual(['denied_by_security_policy']);
    expect(err.message).toBe('subscribe_denied');
    expect(err.kind).toBe('subscribeDenied');
    expect(String(err)).toBe('403:denied_by_security_policy:subscribe_denied');
    expect(JSON.stringify({ error: err })).toBe('{"error":"403:denied_by_security_policy:subscribe_denied"}');
  });
});

describe('parseError', () => {
  it.each([
    ['402::session_unknown', 402, [], 'session_unknown', 'sessionUnknown'],
    ['401:abc123:Unknown client', 401, ['abc123'], 'Unknown client', undefined],
    ['403::Unknown client', 403, [], 'Unknown client', undefined],
    ['403:xj3s,/foo/bar:Subscription denied', 403, ['xj3s', '/foo/bar'], 'Subscription denied', undefined],
    [
      '301:long-polling:connection_types_not_supported',
      301,
      ['long-polling'],
      'connection_types_not_supported',
      'connectionTypesNotSupported',
    ],
    ['500::a: b: c', 500, [], 'a: b: c', undefined],
  ])('%j', (wire, code, args, message, kind) => {
    const err = parseError(wire);
    expect(err).toBeInstanceOf(BayeuxError);
    expect(err?.code).toBe(code);
    expect(err?.args).toEqual(args);
    expect(err?.message).toBe(message);
    expect(err?.kind).toBe(kind);
  });

  it('round-trips every table entry', () => {
    for (const kind of Object.keys(BAYEUX_ERRORS) as (keyof typeof BAYEUX_ERRORS)[]) {
      const wire = errorString(kind, 'x');
      expect(parseError(wire)?.kind).toBe(kind);
      expect(parseError(wire)?.toString()).toBe(wire);
    }
  });

  it.each([
    [''],
    ['oops'],
    ['40::x'],
    ['4000::x'],
    ['abc::x'],
    ['402:session_unknown'],
    [402],
    [null],
    [undefined],
  ])('returns undefined for %j', (wire) => {
    expect(parseError(wire)).toBeUndefined();
  });
});
