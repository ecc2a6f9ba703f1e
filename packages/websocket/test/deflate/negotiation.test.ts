import { describe, expect, it } from 'vitest';
import { PerMessageDeflate } from '../../src/deflate/codec.js';
import type { Negotiated, PerMessageDeflateOptions } from '../../src/deflate/params.js';
import { WebSocketError } from '../../src/errors.js';
import { type ExtensionParams, parseExtensions } from '../../src/extension-header.js';

const DEFAULTS: Negotiated = {
  deflateBits: 15,
  deflateNoContextTakeover: false,
  inflateBits: 15,
  inflateNoContextTakeover: false,
};

/** Offers as a client would send them, through the real header parser (keeps duplicates detectable). */
function offers(header: string): ExtensionParams[] {
  return parseExtensions(header).get('permessage-deflate') ?? [];
}

function expectInvalid(fn: () => unknown, message: RegExp): void {
  let error: unknown;
  try {
    fn();
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(WebSocketError);
  expect((error as WebSocketError).code).toBe('WS_ERR_INVALID_EXTENSION');
  expect((error as WebSocketError).message).toMatch(message);
}

describe('server: accept()', () => {
  // [options, offered header, expected response, expected effective settings (over DEFAULTS)]
  const table: Array<[PerMessageDeflateOptions, string, ExtensionParams, Partial<Negotiated>]> = [
    [{}, 'permessage-deflate', {}, {}],
    // 7.1.2.2: a valueless client_max_window_bits only tells us the client supports the parameter
    [{}, 'permessage-deflate; client_max_window_bits', {}, {}],
    // ... a value is a hint we take, to keep our inflate window small
    [
      {},
      'permessage-deflate; client_max_window_bits=10',
      { client_max_window_bits: '10' },
      { inflateBits: 10 },
    ],
    [{}, 'permessage-deflate; client_max_window_bits=8', { client_max_window_bits: '8' }, { inflateBits: 8 }],
    [
      {},
      'permessage-deflate; server_max_window_bits=10',
      { server_max_window_bits: '10' },
      { deflateBits: 10 },
    ],
    // 8 is accepted: our compressor then uses Z_RLE (distance-1 matches only)
    [{}, 'permessage-deflate; server_max_window_bits=8', { server_max_window_bits: '8' }, { deflateBits: 8 }],
    [
      {},
      'permessage-deflate; server_no_context_takeover',
      { server_no_context_takeover: true },
      { deflateNoContextTakeover: true },
    ],
    [
      {},
      'permessage-deflate; client_no_context_takeover',
      { client_no_context_takeover: true },
      { inflateNoContextTakeover: true },
    ],
    [
      {},
      'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=11',
      {
        server_no_context_takeover: true,
        client_no_context_takeover: true,
        server_max_window_bits: '9',
        client_max_window_bits: '11',
      },
      { deflateNoContextTakeover: true, inflateNoContextTakeover: true, deflateBits: 9, inflateBits: 11 },
    ],
    // serverNoContextTakeover: true imposes it; false declines offers asking for it
    [
      { serverNoContextTakeover: true },
      'permessage-deflate',
      { server_no_context_takeover: true },
      { deflateNoContextTakeover: true },
    ],
    [
      { serverNoContextTakeover: false },
      'permessage-deflate; server_no_context_takeover, permessage-deflate',
      {},
      {},
    ],
    // clientNoContextTakeover: true requires the client to reset (7.1.1.2), offered or not
    [
      { clientNoContextTakeover: true },
      'permessage-deflate',
      { client_no_context_takeover: true },
      { inflateNoContextTakeover: true },
    ],
    [{ clientNoContextTakeover: false }, 'permessage-deflate', {}, {}],
    // serverMaxWindowBits: a number caps our window, answered even when not offered (7.1.2.1)
    [
      { serverMaxWindowBits: 12 },
      'permessage-deflate',
      { server_max_window_bits: '12' },
      { deflateBits: 12 },
    ],
    [
      { serverMaxWindowBits: 12 },
      'permessage-deflate; server_max_window_bits=10',
      { server_max_window_bits: '10' },
      { deflateBits: 10 },
    ],
    [
      { serverMaxWindowBits: 12 },
      'permessage-deflate; server_max_window_bits=14',
      { server_max_window_bits: '12' },
      { deflateBits: 12 },
    ],
    [
      { serverMaxWindowBits: true },
      'permessage-deflate; server_max_window_bits=13',
      { server_max_window_bits: '13' },
      { deflateBits: 13 },
    ],
    [
      { serverMaxWindowBits: false },
      'permessage-deflate; server_max_window_bits=10, permessage-deflate',
      {},
      {},
    ],
    // clientMaxWindowBits: a number is answered only when offered (7.1.2.2), the smaller of both
    [
      { clientMaxWindowBits: 12 },
      'permessage-deflate, permessage-deflate; client_max_window_bits',
      { client_max_window_bits: '12' },
      { inflateBits: 12 },
    ],
    [
      { clientMaxWindowBits: 12 },
      'permessage-deflate; client_max_window_bits=10',
      { client_max_window_bits: '10' },
      { inflateBits: 10 },
    ],
    [
      { clientMaxWindowBits: 12 },
      'permessage-deflate; client_max_window_bits=15',
      { client_max_window_bits: '12' },
      { inflateBits: 12 },
    ],
    [{ clientMaxWindowBits: true }, 'permessage-deflate; client_max_window_bits', {}, {}],
    [
      { clientMaxWindowBits: false },
      'permessage-deflate; client_max_window_bits=9',
      { client_max_window_bits: '9' },
      { inflateBits: 9 },
    ],
    // RFC 7692 5: an invalid offer is declined and the next one is considered
    [
      {},
      'permessage-deflate; foo, permessage-deflate; server_max_window_bits=10',
      { server_max_window_bits: '10' },
      { deflateBits: 10 },
    ],
    [
      {},
      'permessage-deflate; server_max_window_bits=10; server_max_window_bits=10, permessage-deflate',
      {},
      {},
    ],
    [{}, 'permessage-deflate; server_max_window_bits=7, permessage-deflate', {}, {}],
  ];
  for (const [options, header, response, negotiated] of table) {
    it(`${JSON.stringify(options)} + "${header}" -> ${JSON.stringify(response)}`, () => {
      const pmd = new PerMessageDeflate(options, true, 1024);
      expect(pmd.params).toBeNull();
      expect(pmd.accept(offers(header))).toEqual(response);
      expect(pmd.params).toEqual(response);
      expect(pmd.negotiated).toEqual({ ...DEFAULTS, ...negotiated });
    });
  }

  const declined: Array<[PerMessageDeflateOptions, string, RegExp]> = [
    [{}, 'permessage-deflate; foo', /unknown parameter foo/],
    [{}, 'permessage-deflate; foo=1', /unknown parameter foo/],
    [{}, 'permessage-deflate; client_no_context_takeover; client_no_context_takeover', /repeated/],
    [{}, 'permessage-deflate; client_max_window_bits=9; client_max_window_bits', /repeated/],
    [{}, 'permessage-deflate; server_no_context_takeover=1', /takes no value/],
    [{}, 'permessage-deflate; client_no_context_takeover="x"', /takes no value/],
    [{}, 'permessage-deflate; server_max_window_bits', /invalid server_max_window_bits true/],
    [{}, 'permessage-deflate; server_max_window_bits=7', /invalid server_max_window_bits "7"/],
    [{}, 'permessage-deflate; server_max_window_bits=16', /invalid server_max_window_bits "16"/],
    [{}, 'permessage-deflate; server_max_window_bits=010', /invalid server_max_window_bits "010"/],
    [{}, 'permessage-deflate; server_max_window_bits=1e1', /invalid server_max_window_bits/],
    [{}, 'permessage-deflate; client_max_window_bits=0', /invalid client_max_window_bits "0"/],
    [{}, 'permessage-deflate; client_max_window_bits=09', /invalid client_max_window_bits "09"/],
    [{}, 'permessage-deflate; client_max_window_bits="16"', /invalid client_max_window_bits "16"/],
    [{ serverNoContextTakeover: false }, 'permessage-deflate; server_no_context_takeover', /disabled/],
    [{ serverMaxWindowBits: false }, 'permessage-deflate; server_max_window_bits=15', /disabled/],
    [{ clientMaxWindowBits: 10 }, 'permessage-deflate', /client_max_window_bits required/],
  ];
  for (const [options, header, message] of declined) {
    it(`${JSON.stringify(options)} declines "${header}"`, () => {
      const pmd = new PerMessageDeflate(options, true, 1024);
      expectInvalid(() => pmd.accept(offers(header)), message);
      expect(pmd.params).toBeNull();
    });
  }

  it('declines an empty offer list', () => {
    expectInvalid(() => new PerMessageDeflate({}, true, 1024).accept([]), /no acceptable offer \(no offer\)/);
  });

  it('accepts the first acceptable offer in the client preference order', () => {
    const pmd = new PerMessageDeflate({}, true, 1024);
    expect(
      pmd.accept(
        offers(
          'permessage-deflate; server_max_window_bits=10, permessage-deflate; server_max_window_bits=11',
        ),
      ),
    ).toEqual({ server_max_window_bits: '10' });
  });

  it('answers what browsers offer', () => {
    // Chromium and Firefox send this offer.
    const pmd = new PerMessageDeflate({}, true, 1024);
    expect(pmd.accept(offers('permessage-deflate; client_max_window_bits'))).toEqual({});
  });
});

describe('client: offer() and acceptResponse()', () => {
  const offersTable: Array<[PerMessageDeflateOptions, ExtensionParams]> = [
    [{}, { client_max_window_bits: true }],
    [{ clientMaxWindowBits: 10 }, { client_max_window_bits: '10' }],
    [{ clientMaxWindowBits: true }, { client_max_window_bits: true }],
    [{ clientMaxWindowBits: false }, { client_max_window_bits: true }],
    [{ serverMaxWindowBits: 11 }, { server_max_window_bits: '11', client_max_window_bits: true }],
    [{ serverMaxWindowBits: true }, { client_max_window_bits: true }],
    [{ serverNoContextTakeover: true }, { server_no_context_takeover: true, client_max_window_bits: true }],
    [{ clientNoContextTakeover: true }, { client_no_context_takeover: true, client_max_window_bits: true }],
    [
      {
        serverNoContextTakeover: true,
        clientNoContextTakeover: true,
        serverMaxWindowBits: 9,
        clientMaxWindowBits: 9,
      },
      {
        server_no_context_takeover: true,
        client_no_context_takeover: true,
        server_max_window_bits: '9',
        client_max_window_bits: '9',
      },
    ],
  ];
  for (const [options, offer] of offersTable) {
    it(`offers ${JSON.stringify(offer)} for ${JSON.stringify(options)}`, () => {
      expect(new PerMessageDeflate(options, false, 1024).offer()).toEqual(offer);
    });
  }

  const responses: Array<[PerMessageDeflateOptions, string, Partial<Negotiated>]> = [
    [{}, 'permessage-deflate', {}],
    [{}, 'permessage-deflate; server_no_context_takeover', { inflateNoContextTakeover: true }],
    [{}, 'permessage-deflate; client_no_context_takeover', { deflateNoContextTakeover: true }],
    [{}, 'permessage-deflate; server_max_window_bits=10', { inflateBits: 10 }],
    [{}, 'permessage-deflate; server_max_window_bits=8', { inflateBits: 8 }],
    [{}, 'permessage-deflate; client_max_window_bits=10', { deflateBits: 10 }],
    // 8 is honoured with Z_RLE rather than failing the connection
    [{}, 'permessage-deflate; client_max_window_bits=8', { deflateBits: 8 }],
    [{ serverMaxWindowBits: 12 }, 'permessage-deflate; server_max_window_bits=12', { inflateBits: 12 }],
    [{ serverMaxWindowBits: 12 }, 'permessage-deflate; server_max_window_bits=9', { inflateBits: 9 }],
    // A server may ignore our request for server_no_context_takeover; we then keep the inflate context.
    [{ serverNoContextTakeover: true }, 'permessage-deflate', {}],
    // Our own announcements and hints still apply to our compressor.
    [{ clientNoContextTakeover: true }, 'permessage-deflate', { deflateNoContextTakeover: true }],
    [{ clientMaxWindowBits: 10 }, 'permessage-deflate', { deflateBits: 10 }],
    [{ clientMaxWindowBits: 10 }, 'permessage-deflate; client_max_window_bits=10', { deflateBits: 10 }],
    [{ clientMaxWindowBits: 10 }, 'permessage-deflate; client_max_window_bits=9', { deflateBits: 9 }],
  ];
  for (const [options, header, negotiated] of responses) {
    it(`${JSON.stringify(options)} accepts "${header}"`, () => {
      const pmd = new PerMessageDeflate(options, false, 1024);
      const response = offers(header);
      expect(pmd.acceptResponse(response)).toBe(response[0]);
      expect(pmd.params).toBe(response[0]);
      expect(pmd.negotiated).toEqual({ ...DEFAULTS, ...negotiated });
    });
  }

  const failing: Array<[PerMessageDeflateOptions, string, RegExp]> = [
    [{}, 'permessage-deflate, permessage-deflate', /expected one response, got 2/],
    [{}, 'permessage-deflate; foo', /unknown parameter foo/],
    [{}, 'permessage-deflate; server_no_context_takeover; server_no_context_takeover', /repeated/],
    [{}, 'permessage-deflate; server_no_context_takeover=1', /takes no value/],
    [{}, 'permessage-deflate; client_no_context_takeover=1', /takes no value/],
    [{}, 'permessage-deflate; server_max_window_bits', /invalid server_max_window_bits/],
    [{}, 'permessage-deflate; server_max_window_bits=16', /invalid server_max_window_bits/],
    [{}, 'permessage-deflate; client_max_window_bits', /needs a value/],
    [{}, 'permessage-deflate; client_max_window_bits=7', /invalid client_max_window_bits/],
    [{ serverMaxWindowBits: 10 }, 'permessage-deflate; server_max_window_bits=11', /exceeds the offered 10/],
    [{ clientMaxWindowBits: 10 }, 'permessage-deflate; client_max_window_bits=12', /exceeds the offered 10/],
  ];
  for (const [options, header, message] of failing) {
    it(`${JSON.stringify(options)} fails on "${header}"`, () => {
      const pmd = new PerMessageDeflate(options, false, 1024);
      expectInvalid(() => pmd.acceptResponse(offers(header)), message);
      expect(pmd.params).toBeNull();
    });
  }

  it('fails on an empty response list', () => {
    expectInvalid(() => new PerMessageDeflate({}, false, 1024).acceptResponse([]), /got 0/);
  });

  it('negotiates end to end with our own server, for every parameter combination', () => {
    const bits = [undefined, 9, 12, 15];
    let combos = 0;
    for (const snct of [undefined, true])
      for (const cnct of [undefined, true])
        for (const smwb of bits)
          for (const cmwb of bits) {
            const options: PerMessageDeflateOptions = {
              serverNoContextTakeover: snct,
              clientNoContextTakeover: cnct,
              serverMaxWindowBits: smwb,
              clientMaxWindowBits: cmwb,
            };
            const client = new PerMessageDeflate(options, false, 1024);
            const server = new PerMessageDeflate(options, true, 1024);
            client.acceptResponse([server.accept([client.offer()])]);
            // What one side compresses with, the other inflates with (or larger).
            expect(client.negotiated.inflateBits).toBe(server.negotiated.deflateBits);
            expect(client.negotiated.inflateNoContextTakeover).toBe(
              server.negotiated.deflateNoContextTakeover,
            );
            expect(server.negotiated.inflateBits).toBeGreaterThanOrEqual(client.negotiated.deflateBits);
            expect(server.negotiated.inflateNoContextTakeover).toBe(
              client.negotiated.deflateNoContextTakeover,
            );
            expect(server.negotiated.deflateBits).toBe(smwb ?? 15);
            expect(client.negotiated.deflateBits).toBe(cmwb ?? 15);
            expect(server.negotiated.deflateNoContextTakeover).toBe(snct === true);
            expect(client.negotiated.deflateNoContextTakeover).toBe(cnct === true);
            combos++;
          }
    expect(combos).toBe(64);
  });
});
