// The suite's deflate helpers must themselves catch what they are meant to catch.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  checkServerResponse,
  type DeflateOffer,
  PmdReceiver,
  PmdSender,
  parseExtensions,
} from './deflate.js';

const offer = (o: Partial<DeflateOffer> = {}): DeflateOffer => ({
  serverNoContextTakeover: false,
  clientNoContextTakeover: false,
  serverMaxWindowBits: undefined,
  clientMaxWindowBits: undefined,
  ...o,
});

describe('support/deflate', () => {
  const block = randomBytes(900).toString('base64');
  const msg = Buffer.from(block + block);

  it('round-trips with and without context takeover', () => {
    const s = new PmdSender(15, true);
    const r = new PmdReceiver(15, true);
    for (let i = 0; i < 3; i++) expect(r.decompress(s.compress(msg)).equals(msg)).toBe(true);
  });

  it('detects a peer that used a larger window than agreed', () => {
    const data = new PmdSender(15, false).compress(msg);
    expect(() => new PmdReceiver(9, false).decompress(data)).toThrow(/too far back/);
    expect(new PmdReceiver(11, false).decompress(data).equals(msg)).toBe(true);
  });

  it('detects a peer that kept context when it agreed not to', () => {
    const s = new PmdSender(15, true);
    s.compress(msg);
    const second = s.compress(msg);
    expect(() => new PmdReceiver(15, false).decompress(second)).toThrow();
  });

  it('parses extension headers with quoted values and duplicates', () => {
    expect(parseExtensions('permessage-deflate; client_max_window_bits="10"; a; a, x-foo')).toEqual([
      {
        name: 'permessage-deflate',
        params: new Map<string, string | true>([
          ['client_max_window_bits', '10'],
          ['a', true],
        ]),
        duplicates: ['a'],
      },
      { name: 'x-foo', params: new Map(), duplicates: [] },
    ]);
  });

  it('judges server responses against the offer (RFC 7692 7.1)', () => {
    expect(checkServerResponse(offer(), 'permessage-deflate')).toEqual({
      serverNoContextTakeover: false,
      clientNoContextTakeover: false,
      serverMaxWindowBits: 15,
      clientMaxWindowBits: 15,
    });
    expect(() => checkServerResponse(offer(), 'permessage-deflate; client_max_window_bits=10')).toThrow(
      /not offered/,
    );
    expect(() =>
      checkServerResponse(
        offer({ serverMaxWindowBits: 10 }),
        'permessage-deflate; server_max_window_bits=11',
      ),
    ).toThrow(/> offered/);
    expect(() => checkServerResponse(offer({ serverNoContextTakeover: true }), 'permessage-deflate')).toThrow(
      /server_no_context_takeover/,
    );
    expect(() => checkServerResponse(offer(), 'permessage-deflate; server_max_window_bits=016')).toThrow(
      /invalid value/,
    );
    expect(() => checkServerResponse(offer(), undefined)).toThrow(/exactly one/);
    expect(
      checkServerResponse(
        offer({ clientMaxWindowBits: true }),
        'permessage-deflate; client_max_window_bits=9',
      ).clientMaxWindowBits,
    ).toBe(9);
  });
});
