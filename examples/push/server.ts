// Ratchet's "push integration" tutorial (socketo.me/docs/push), where a web app pushes to WebSocket
// clients. Here the web app POSTs to this server and the message is published on a Bayeux channel: raw
// WebSocket subscribers (/push) and Bayeux clients on any transport (/bayeux) all receive it, on one port.
//   npm run example:push                 (PUSH_TOKEN=secret to require "Authorization: Bearer secret")
//   subscriber: new WebSocket('ws://127.0.0.1:8000/push?channel=/news')   or send {"subscribe":"/news/*"}
//   publisher:  curl -X POST 'http://127.0.0.1:8000/publish?channel=/news' -d '{"title":"hello"}'

import {
  App,
  BayeuxBridge,
  type Component,
  type Connection,
  type HttpComponent,
  HttpError,
  type HttpRequest,
  type Message,
} from 'pushwire/components';
import { type BayeuxServer, createBayeuxServer } from 'pushwire/server';
import { isMain, portFromEnv, stopOnSignal } from '../main.js';

/** Most channels one raw subscriber may follow. */
export const MAX_CHANNELS_PER_SUBSCRIBER = 16;

/** POST /publish?channel=/news with a JSON body: published on the channel; answers {"delivered": n}. */
export class PublishEndpoint implements HttpComponent {
  readonly httpComponent = true as const;
  readonly #bridge: BayeuxBridge;
  readonly #token: string | undefined;

  constructor(bridge: BayeuxBridge, token?: string) {
    this.#bridge = bridge;
    this.#token = token;
  }

  async onOpen(_conn: Connection, request: HttpRequest): Promise<void> {
    if (this.#token !== undefined && request.headers.authorization !== `Bearer ${this.#token}`) {
      request.respond(401, 'unauthorized\n', { 'WWW-Authenticate': 'Bearer' });
      return;
    }
    const channel = request.query.get('channel');
    if (channel === null) {
      request.respond(400, 'the channel query parameter is required\n');
      return;
    }
    let body: Buffer;
    try {
      body = await request.body();
    } catch (err) {
      if (err instanceof HttpError) return; // already answered (413)
      throw err;
    }
    let data: unknown;
    try {
      data = JSON.parse(body.toString('utf8'));
    } catch {
      request.respond(400, 'the body must be JSON\n');
      return;
    }
    let delivered: number;
    try {
      delivered = await this.#bridge.publish(channel, data);
    } catch (err) {
      if (err instanceof TypeError) {
        request.respond(400, `${err.message}\n`);
        return;
      }
      throw err;
    }
    request.respond(202, JSON.stringify({ delivered }), { 'Content-Type': 'application/json' });
  }
}

/** Raw WebSocket subscribers: ?channel=... on the URL, or {"subscribe": p} / {"unsubscribe": p} messages. */
export class Subscribers implements Component {
  readonly #bridge: BayeuxBridge;

  constructor(bridge: BayeuxBridge) {
    this.#bridge = bridge;
  }

  async #follow(conn: Connection, pattern: string): Promise<void> {
    if (this.#bridge.forwardedTo(conn).length >= MAX_CHANNELS_PER_SUBSCRIBER) {
      conn.send(JSON.stringify({ error: `at most ${MAX_CHANNELS_PER_SUBSCRIBER} channels per connection` }));
      return;
    }
    try {
      await this.#bridge.forward(conn, pattern);
      conn.send(JSON.stringify({ subscribed: pattern }));
    } catch (err) {
      conn.send(JSON.stringify({ error: (err as Error).message }));
    }
  }

  async onOpen(conn: Connection, request?: HttpRequest): Promise<void> {
    for (const channel of request?.query.getAll('channel') ?? []) await this.#follow(conn, channel);
  }

  async onMessage(conn: Connection, message: Message): Promise<void> {
    let command: { subscribe?: unknown; unsubscribe?: unknown };
    try {
      command = JSON.parse(String(message)) as typeof command;
    } catch {
      conn.send(JSON.stringify({ error: 'send {"subscribe": "/channel"} or {"unsubscribe": "/channel"}' }));
      return;
    }
    if (typeof command.subscribe === 'string') await this.#follow(conn, command.subscribe);
    else if (typeof command.unsubscribe === 'string') {
      await this.#bridge.stopForwarding(conn, command.unsubscribe);
      conn.send(JSON.stringify({ unsubscribed: command.unsubscribe }));
    } else conn.send(JSON.stringify({ error: 'unknown command' }));
  }

  onClose(conn: Connection): Promise<void> {
    return this.#bridge.stopForwarding(conn);
  }
}

export interface PushServer {
  app: App;
  bayeux: BayeuxServer;
  port: number;
  close(): Promise<void>;
}

export async function start(
  port: number,
  options: { address?: string; token?: string } = {},
): Promise<PushServer> {
  const bayeux = createBayeuxServer();
  const bridge = new BayeuxBridge(bayeux);
  const app = new App({ port, address: options.address ?? '127.0.0.1' });
  app
    .route('/publish', new PublishEndpoint(bridge, options.token), ['*'], { methods: ['POST'] })
    .route('/push', new Subscribers(bridge))
    .mount(bayeux);
  await app.run();
  return { app, bayeux, port: app.port, close: () => app.close() };
}

if (isMain(import.meta.url)) {
  const server = await start(portFromEnv(), { token: process.env.PUSH_TOKEN });
  const base = `127.0.0.1:${server.port}`;
  console.log(
    `push server: POST http://${base}/publish?channel=/news, subscribe ws://${base}/push?channel=/news`,
  );
  console.log(`Bayeux clients: http://${base}/bayeux`);
  stopOnSignal(() => server.close());
}
