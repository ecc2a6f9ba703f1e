// RFC 7692 negotiation seen from the CLIENT: the offer carries the parameters the client was configured
// with and the client compresses within what the server answered; and RFC 7692 7 (client side): "A client
// MUST Fail the WebSocket Connection if the peer server accepted an extension negotiation offer ... with a
// response that contains an extension parameter not defined for use in a response, an extension parameter
// with an invalid value, or multiple extension parameters with the same name".
import { expect } from 'vitest';
import { parseExtensions } from './support/deflate.js';
import { compressedRoundTrips } from './support/deflate-roundtrip.js';
import { OP } from './support/frame.js';
import { type ConformanceCase, conformance } from './support/suite.js';

const OFFERS: Array<[string, Record<string, boolean | number>, string]> = [
  [
    'all four parameters',
    {
      serverNoContextTakeover: true,
      clientNoContextTakeover: true,
      serverMaxWindowBits: 10,
      clientMaxWindowBits: 11,
    },
    'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=11',
  ],
  ['client_max_window_bits=9', { clientMaxWindowBits: 9 }, 'permessage-deflate; client_max_window_bits=9'],
  ['server_max_window_bits=9', { serverMaxWindowBits: 9 }, 'permessage-deflate; server_max_window_bits=9'],
];

const cases: ConformanceCase[] = OFFERS.map(([what, options, response], i) => ({
  id: `13.o.${i + 1}`,
  title: `client configured with ${what}: offered, and honoured after "${response}"`,
  under: ['client'],
  client: { perMessageDeflate: options },
  respond: () => ({ headers: { 'Sec-WebSocket-Extensions': response } }),
  async run(ctx) {
    const offer = parseExtensions(ctx.head.headers['sec-websocket-extensions'])[0];
    expect(offer?.name).toBe('permessage-deflate');
    const params = offer?.params ?? new Map();
    if (options.serverNoContextTakeover) expect(params.get('server_no_context_takeover')).toBe(true);
    if (options.clientNoContextTakeover) expect(params.get('client_no_context_takeover')).toBe(true);
    if (options.serverMaxWindowBits)
      expect(params.get('server_max_window_bits')).toBe(String(options.serverMaxWindowBits));
    if (options.clientMaxWindowBits)
      expect(params.get('client_max_window_bits')).toBe(String(options.clientMaxWindowBits));
    const agreed = parseExtensions(response)[0]?.params ?? new Map();
    await compressedRoundTrips(ctx, {
      serverNoContextTakeover: agreed.has('server_no_context_takeover'),
      clientNoContextTakeover: agreed.has('client_no_context_takeover'),
      serverMaxWindowBits: Number(agreed.get('server_max_window_bits') ?? 15),
      clientMaxWindowBits: Number(agreed.get('client_max_window_bits') ?? 15),
    });
  },
}));

const INVALID_RESPONSES: Array<[string, string]> = [
  ['an unknown parameter', 'permessage-deflate; x_unknown'],
  ['a duplicated parameter', 'permessage-deflate; server_no_context_takeover; server_no_context_takeover'],
  ['server_max_window_bits=16', 'permessage-deflate; server_max_window_bits=16'],
  ['server_max_window_bits=7', 'permessage-deflate; server_max_window_bits=7'],
  ['server_max_window_bits without a value', 'permessage-deflate; server_max_window_bits'],
  ['client_max_window_bits=16', 'permessage-deflate; client_max_window_bits=16'],
  ['client_no_context_takeover with a value', 'permessage-deflate; client_no_context_takeover=1'],
  ['server_max_window_bits=abc', 'permessage-deflate; server_max_window_bits=abc'],
];

INVALID_RESPONSES.forEach(([what, response], i) => {
  cases.push({
    id: `13.f.${i + 1}`,
    title: `response with ${what} -> the client fails the connection`,
    under: ['client'],
    client: { perMessageDeflate: true },
    respond: () => ({ headers: { 'Sec-WebSocket-Extensions': response } }),
    async run(ctx) {
      // Send a message anyway: a client that accepted the response would echo it.
      await ctx.conn.send({ opcode: OP.TEXT, payload: 'must not be echoed' });
      await ctx.conn.waitTcpClosed();
      expect(ctx.conn.received.filter((f) => f.opcode !== OP.CLOSE)).toEqual([]);
      expect(ctx.client?.errors.length).toBeGreaterThan(0);
    },
  });
});

conformance('13 client-side negotiation', cases);
