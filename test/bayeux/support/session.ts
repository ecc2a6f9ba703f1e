// A Bayeux session driven by hand over one transport: handshake, connect, subscribe, publish, and
// "receive" (over polling transports that means issuing /meta/connect until the delivery shows up,
// as a real client would; over WebSocket the server pushes).

import type { Message } from '@pushwire/bayeux';
import { JsonpDriver } from './jsonp-driver.js';
import { PollingDriver } from './polling-driver.js';
import type { RunningServer } from './servers.js';
import { CONNECTION_TYPE, type Driver, type TransportName } from './transport.js';
import { WsDriver } from './ws-driver.js';

export async function openDriver(server: RunningServer, transport: TransportName): Promise<Driver> {
  switch (transport) {
    case 'websocket':
      return WsDriver.open(server.wsUrl);
    case 'callback-polling':
      return new JsonpDriver(server.url);
    case 'long-polling':
    case 'short-polling':
      return new PollingDriver(server.url, transport);
  }
}

/** Returns the reply to the request with this id from a response batch (Bayeux §3.8). */
export function replyTo(batch: Message[], id: string): Message {
  const reply = batch.find((m) => m.id === id && typeof m.successful === 'boolean' && m.data === undefined);
  if (!reply) throw new Error(`no reply with id ${id} in ${JSON.stringify(batch)}`);
  return reply;
}

export class Session {
  readonly driver: Driver;
  readonly transport: TransportName;
  clientId = '';
  handshakeReply: Message | undefined;
  private nextId = 0;

  constructor(driver: Driver) {
    this.driver = driver;
    this.transport = driver.transport;
  }

  get connectionType(): string {
    return CONNECTION_TYPE[this.transport];
  }

  id(): string {
    return String(++this.nextId);
  }

  /** Opens a driver, handshakes, and sends the first connect with `advice.timeout: 0` as CometD does. */
  static async open(server: RunningServer, transport: TransportName): Promise<Session> {
    const s = new Session(await openDriver(server, transport));
    await s.handshake();
    await s.connect({ timeout: 0 });
    return s;
  }

  async handshake(fields: Partial<Message> = {}): Promise<Message> {
    const id = this.id();
    const batch = await this.driver.send({
      channel: '/meta/handshake',
      version: '1.0',
      supportedConnectionTypes: [this.connectionType],
      id,
      ...fields,
    });
    const reply = replyTo(batch, id);
    if (reply.successful !== true || typeof reply.clientId !== 'string') {
      throw new Error(`handshake failed: ${JSON.stringify(reply)}`);
    }
    this.clientId = reply.clientId;
    this.handshakeReply = reply;
    return reply;
  }

  /** Sends one request message (id and clientId filled in) and returns its reply plus the whole batch. */
  async call(message: Message): Promise<{ reply: Message; batch: Message[] }> {
    const full: Message = { clientId: this.clientId, id: this.id(), ...message };
    const batch = await this.driver.send(full);
    return { reply: replyTo(batch, full.id as string), batch };
  }

  /**
   * Sends a /meta/connect and returns once the server has it (seen by its incoming pipeline, plus a
   * short margin for the handler to park it), with the promise of its reply.
   */
  async connectHeld(
    server: RunningServer,
  ): Promise<{ pending: Promise<{ reply: Message; batch: Message[] }> }> {
    const arrived = server.seen((m) => m.channel === '/meta/connect' && m.clientId === this.clientId);
    const pending = this.connect();
    // Wrapped in an object: an async function would otherwise wait for the reply itself.
    pending.catch(() => {});
    await arrived;
    await new Promise((r) => setTimeout(r, 50));
    return { pending };
  }

  connect(advice?: Message['advice']): Promise<{ reply: Message; batch: Message[] }> {
    return this.call({
      channel: '/meta/connect',
      connectionType: this.connectionType,
      ...(advice ? { advice } : {}),
    });
  }

  async subscribe(subscription: string | string[]): Promise<Message> {
    return (await this.call({ channel: '/meta/subscribe', subscription })).reply;
  }

  async unsubscribe(subscription: string | string[]): Promise<Message> {
    return (await this.call({ channel: '/meta/unsubscribe', subscription })).reply;
  }

  async publish(channel: string, data: unknown, fields: Partial<Message> = {}): Promise<Message> {
    return (await this.call({ channel, data, ...fields })).reply;
  }

  /**
   * Resolves with the first delivery matching `match`. Polling transports poll for it with
   * /meta/connect (held by the server until something is queued or its timeout passes; short polling
   * waits a 25 ms interval between its immediate connects, as advice.interval would tell it).
   */
  async receive(match: (m: Message) => boolean, ms = 3000): Promise<Message> {
    const seen = this.driver.deliveries.find(match);
    if (seen) return seen;
    if (this.transport === 'websocket') return this.driver.waitForDelivery(match, ms);
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      const { reply } = await this.connect();
      if (reply.successful !== true)
        throw new Error(`connect failed while polling: ${JSON.stringify(reply)}`);
      const found = this.driver.deliveries.find(match);
      if (found) return found;
      if (this.transport === 'short-polling') await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`no matching delivery within ${ms} ms; seen: ${JSON.stringify(this.driver.deliveries)}`);
  }

  /**
   * Sends /meta/connect for this clientId over a NEW driver (a fresh connection): after a disconnect or
   * an expiry the server may have closed this session's WebSocket (Faye does).
   */
  async probe(server: RunningServer): Promise<Message> {
    const d = await openDriver(server, this.transport);
    try {
      const batch = await d.send({
        channel: '/meta/connect',
        clientId: this.clientId,
        connectionType: this.connectionType,
        advice: { timeout: 0 },
        id: 'probe',
      });
      return replyTo(batch, 'probe');
    } finally {
      await d.close();
    }
  }

  /** Deliveries on `channel` so far. */
  on(channel: string): Message[] {
    return this.driver.deliveries.filter((m) => m.channel === channel);
  }

  close(): Promise<void> {
    return this.driver.close();
  }
}

/**
 * Publishes `/marker` after whatever the test published, then waits for it at `sub` (subscribed to
 * `/marker`): one publisher's messages arrive in order, so whatever was going to be delivered before
 * the marker has arrived by then. This is how the tests assert that something was NOT delivered.
 */
export async function flush(sub: Session, pub: Session): Promise<void> {
  const token = Math.random().toString(36).slice(2);
  const reply = await pub.publish('/marker', { token });
  if (reply.successful !== true) throw new Error(`marker publish failed: ${JSON.stringify(reply)}`);
  await sub.receive((m) => m.channel === '/marker' && (m.data as { token?: string }).token === token);
}
