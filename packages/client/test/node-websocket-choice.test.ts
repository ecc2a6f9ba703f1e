// Which WebSocket implementation the client uses. Node 22+ has a global WebSocket (undici) that ignores a
// third constructor argument, so headers and cookies would vanish over websocket if the client took it:
// in Node the client must use @pushwire/websocket unless the application passes its own constructor.

import { WebSocket as OwnWebSocket } from '@pushwire/websocket';
import { afterEach, describe, expect, it } from 'vitest';
import { Client } from '../src/index.js';
import type { WebSocketConstructor } from '../src/transports/websocket-api.js';
import { type OurServer, startOurs } from './helpers.js';

const globals = globalThis as { WebSocket?: unknown; document?: unknown };

/** Stands in for undici's global WebSocket: records its arguments, and (like undici) ignores a third one. */
function undiciLikeWebSocket(calls: unknown[][]): WebSocketConstructor {
  return function FakeGlobalWebSocket(url: string, protocols?: string | string[], ...rest: unknown[]) {
    calls.push([url, protocols, ...rest]);
    return new OwnWebSocket(url, protocols);
  } as unknown as WebSocketConstructor;
}

describe('websocket implementation choice', () => {
  let server: OurServer | undefined;
  let client: Client | undefined;
  const saved = { WebSocket: globals.WebSocket, document: globals.document };
  afterEach(async () => {
    await client?.disconnect();
    await server?.close();
    client = undefined;
    server = undefined;
    if (saved.WebSocket === undefined) delete globals.WebSocket;
    else globals.WebSocket = saved.WebSocket;
    if (saved.document === undefined) delete globals.document;
    else globals.document = saved.document;
  });

  it('headers are not dropped in Node when a global WebSocket that ignores them exists (Node 22+)', async () => {
    server = await startOurs();
    const upgrades: unknown[] = [];
    server.http.prependListener('upgrade', (req) => upgrades.push(req.headers['x-token']));
    const calls: unknown[][] = [];
    globals.WebSocket = undiciLikeWebSocket(calls);
    client = new Client(server.url, { transports: ['websocket'], headers: { 'X-Token': 'secret' } });
    await client.connect();
    expect(client.transport).toBe('websocket');
    expect(calls).toEqual([]);
    expect(upgrades.length).toBeGreaterThan(0);
    expect(upgrades.every((v) => v === 'secret')).toBe(true);
  });

  it('in Node the global WebSocket is not used even without headers (cookies may arrive later)', async () => {
    server = await startOurs();
    const calls: unknown[][] = [];
    globals.WebSocket = undiciLikeWebSocket(calls);
    client = new Client(server.url, { transports: ['websocket'] });
    await client.connect();
    expect(client.transport).toBe('websocket');
    expect(calls).toEqual([]);
  });

  it('a WebSocket constructor passed in options is used as given', async () => {
    server = await startOurs();
    const calls: unknown[][] = [];
    client = new Client(server.url, {
      transports: ['websocket'],
      headers: { 'X-Token': 'secret' },
      WebSocket: undiciLikeWebSocket(calls),
    });
    await client.connect();
    expect(calls).toHaveLength(1);
    expect(calls[0]?.[2]).toEqual({ headers: { 'X-Token': 'secret' } });
  });

  it('with a document (browser, Electron renderer) the global WebSocket is used, called with two arguments', async () => {
    server = await startOurs();
    const calls: unknown[][] = [];
    globals.WebSocket = undiciLikeWebSocket(calls);
    globals.document = {};
    client = new Client(server.url, { transports: ['websocket'] });
    await client.connect();
    expect(calls).toEqual([[server.url.replace('http:', 'ws:'), []]]);
  });
});
