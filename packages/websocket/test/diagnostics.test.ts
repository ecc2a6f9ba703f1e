// node:diagnostics_channel publications (DESIGN.md "Observability"), checked by subscribing.
import diagnostics from 'node:diagnostics_channel';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from '../src/websocket.js';
import { rawClient, startServer, UPGRADE_REQUEST } from './helpers.js';

const subscriptions: [string, (msg: unknown) => void][] = [];
function subscribe(name: string): unknown[] {
  const seen: unknown[] = [];
  const fn = (msg: unknown) => seen.push(msg);
  diagnostics.subscribe(name, fn);
  subscriptions.push([name, fn]);
  return seen;
}
afterEach(() => {
  for (const [name, fn] of subscriptions.splice(0)) diagnostics.unsubscribe(name, fn);
});

describe('diagnostics channels', () => {
  it('publishes connection, error (even without an error listener), close and handshake refusals', async () => {
    const connections = subscribe('pushwire:websocket:connection');
    const errors = subscribe('pushwire:websocket:error');
    const closes = subscribe('pushwire:websocket:close');
    const refused = subscribe('pushwire:websocket:handshake-refused');
    const { wss, port, url } = await startServer({ maxPayload: 4 });
    try {
      const serverSide = new Promise<WebSocket>((r) => wss.once('connection', (ws) => r(ws)));
      const client = new WebSocket(url);
      await once(client, 'open');
      const ws = await serverSide;
      expect(connections).toEqual([expect.objectContaining({ ws })]);
      const closed = new Promise((r) => ws.once('close', r)); // events.once() would add an 'error' listener
      client.send('too long'); // no 'error' listener on the server socket: must not throw
      await closed;
      expect(errors).toEqual([{ ws, error: expect.objectContaining({ code: 'WS_ERR_MESSAGE_TOO_BIG' }) }]);
      expect(closes).toContainEqual(expect.objectContaining({ ws, code: 1009 }));

      const raw = await rawClient(port);
      raw.socket.write(UPGRADE_REQUEST().replace('Version: 13', 'Version: 7'));
      await raw.closed;
      expect(refused).toEqual([expect.objectContaining({ status: 426 })]);
    } finally {
      await wss.close();
    }
  });
});
