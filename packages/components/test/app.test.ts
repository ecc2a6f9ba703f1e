// App: routes wrapped for you (WsServer, OriginCheck by httpHost), the blacklist at run time, and a
// Bayeux server mounted on the same port beside the raw WebSocket routes (app.mount).

import { Client } from '@pushwire/client';
import { type BayeuxServer, createBayeuxServer } from '@pushwire/server';
import { afterEach, describe, expect, it } from 'vitest';
import {
  App,
  AttributeKey,
  type Connection,
  type HttpComponent,
  HttpLayer,
  type HttpRequest,
  WsServer,
} from '../src/index.js';
import { echo, nextMessage, openWs, refusedStatus, type WS } from './helpers.js';

let app: App | undefined;
const clients: WS[] = [];
const bayeuxClients: Client[] = [];
afterEach(async () => {
  for (const ws of clients.splice(0)) ws.terminate();
  for (const c of bayeuxClients.splice(0)) await c.disconnect().catch(() => {});
  await app?.close();
  app = undefined;
});

class Health implements HttpComponent {
  readonly httpComponent = true as const;
  onOpen(_conn: Connection, request: HttpRequest): void {
    request.respond(200, 'ok', { 'Content-Type': 'text/plain' });
  }
}

describe('App', () => {
  it('routes plain components (wrapped in WsServer) and HTTP components; 404 elsewhere', async () => {
    app = new App({ port: 0 });
    app.route('/echo', echo).route('/health', new Health());
    await app.run();
    const ws = await openWs(`ws://127.0.0.1:${app.port}/echo`);
    clients.push(ws);
    ws.send('hi');
    expect(await nextMessage(ws)).toBe('hi');
    const health = await fetch(`http://127.0.0.1:${app.port}/health`);
    expect(await health.text()).toBe('ok');
    expect(await refusedStatus(`ws://127.0.0.1:${app.port}/other`)).toBe(404);
  });

  it('httpHost: routes answer that host only, and its origin is the default allowed one', async () => {
    app = new App({ httpHost: 'chat.example', port: 0 });
    app.route('/echo', echo).route('/open', echo, ['*']).route('/partner', echo, ['https://partner.example']);
    await app.run();
    const base = `ws://127.0.0.1:${app.port}`;
    const host = { Host: `chat.example:${app.port}` };
    expect(await refusedStatus(`${base}/echo`, { origin: 'http://chat.example' })).toBe(404); // Host 127.0.0.1
    expect(await refusedStatus(`${base}/echo`, { headers: host, origin: 'https://evil.example' })).toBe(403);
    clients.push(await openWs(`${base}/echo`, { headers: host, origin: 'http://chat.example' }));
    clients.push(await openWs(`${base}/open`, { headers: host, origin: 'https://evil.example' }));
    expect(await refusedStatus(`${base}/partner`, { headers: host, origin: 'http://chat.example' })).toBe(
      403,
    );
    clients.push(await openWs(`${base}/partner`, { headers: host, origin: 'https://partner.example' }));
  });

  it('blocks addresses at run time through app.blackList', async () => {
    app = new App({ port: 0 });
    app.route('/echo', echo);
    await app.run();
    app.blackList.blockAddress('127.0.0.0/8');
    await expect(openWs(`ws://127.0.0.1:${app.port}/echo`)).rejects.toThrow();
    app.blackList.unblockAddress('127.0.0.0/8');
    clients.push(await openWs(`ws://127.0.0.1:${app.port}/echo`));
  });
});

describe('app.mount(bayeuxServer): one port, raw routes beside /bayeux', () => {
  let bayeux: BayeuxServer;

  async function start(): Promise<string> {
    bayeux = createBayeuxServer();
    app = new App({ port: 0 });
    app.route('/echo', echo).mount(bayeux);
    await app.run();
    return `127.0.0.1:${app.port}`;
  }

  for (const transport of ['websocket', 'long-polling', 'callback-polling', 'short-polling'] as const) {
    it(`Bayeux over ${transport} and a raw WebSocket route on the same port`, async () => {
      const hostPort = await start();
      const client = new Client(`http://${hostPort}/bayeux`, {
        transports: [transport],
        shortPollingInterval: 50,
      });
      bayeuxClients.push(client);
      let resolveGot: (data: unknown) => void = () => {};
      const got = new Promise<unknown>((resolve) => {
        resolveGot = resolve;
      });
      await client.subscribe('/news', (data) => resolveGot(data));
      await client.publish('/news', { n: 1 });
      expect(await got).toEqual({ n: 1 });
      expect(client.transport).toBe(transport);
      const ws = await openWs(`ws://${hostPort}/echo`);
      clients.push(ws);
      ws.send('raw');
      expect(await nextMessage(ws)).toBe('raw');
      expect(await refusedStatus(`ws://${hostPort}/nothing`)).toBe(404);
    });
  }

  it('serves the client script beside the mount (matches() covers it)', async () => {
    const hostPort = await start();
    const res = await fetch(`http://${hostPort}/bayeux/client.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/javascript/);
  });
});

describe('the typed attribute bag', () => {
  it('a layer of your own sets an attribute that the component reads (HttpLayer subclass)', async () => {
    const User = new AttributeKey<{ name: string }>('user');
    class Auth extends HttpLayer {
      readonly inner: HttpComponent;
      constructor(inner: HttpComponent) {
        super();
        this.inner = inner;
      }
      onOpen(conn: Connection, request: HttpRequest) {
        const name = request.query.get('user');
        if (name === null) {
          this.refuse(conn, request, 401, 'who are you?');
          return;
        }
        conn.attributes.set(User, { name });
        return this.openInner(conn, request, this.inner);
      }
    }
    app = new App({ port: 0 });
    app.route(
      '/me',
      new Auth(
        new WsServer({
          onOpen: (conn: Connection) => {
            const user = conn.attributes.get(User); // typed: { name: string } | undefined
            conn.send(`hello ${user?.name}`);
          },
        }),
      ),
    );
    await app.run();
    expect(await refusedStatus(`ws://127.0.0.1:${app.port}/me`)).toBe(401);
    const ws = await openWs(`ws://127.0.0.1:${app.port}/me?user=ada`);
    clients.push(ws);
    expect(await nextMessage(ws)).toBe('hello ada');
  });
});
