// A Bayeux peer over the independent `ws` client: records every frame it receives (parsed) and its close.
import type { Message } from '@pushwire/bayeux';
import WebSocket from 'ws';
import { until } from './http.js';

export class WsPeer {
  readonly received: Message[] = [];
  closed = false;
  readonly ws: WebSocket;

  constructor(url: string) {
    this.ws = new WebSocket(url.replace(/^http/, 'ws'));
    this.ws.on('message', (data) => this.received.push(...(JSON.parse(String(data)) as Message[])));
    this.ws.on('close', () => (this.closed = true));
    this.ws.on('error', () => {});
  }

  opened(): Promise<void> {
    if (this.ws.readyState === WebSocket.OPEN) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
  }

  send(messages: unknown[]): void {
    this.ws.send(JSON.stringify(messages));
  }

  /** Waits for a message that `match` accepts and returns it. */
  async next(what: string, match: (m: Message) => boolean): Promise<Message> {
    await until(() => this.received.some(match), what);
    return this.received.find(match) as Message;
  }

  /** Handshakes, then sends the first connect (answered at once); resolves with the client id. */
  async session(): Promise<string> {
    await this.opened();
    this.send([
      { channel: '/meta/handshake', version: '1.0', supportedConnectionTypes: ['websocket'], id: 'h' },
    ]);
    const hs = await this.next('handshake reply', (m) => m.channel === '/meta/handshake');
    const clientId = hs.clientId as string;
    this.send([{ channel: '/meta/connect', clientId, connectionType: 'websocket', id: 'c0' }]);
    await this.next('first connect reply', (m) => m.channel === '/meta/connect' && m.id === 'c0');
    return clientId;
  }

  async subscribe(clientId: string, subscription: string): Promise<void> {
    this.send([{ channel: '/meta/subscribe', clientId, subscription, id: 's' }]);
    const reply = await this.next('subscribe reply', (m) => m.channel === '/meta/subscribe');
    if (reply.successful !== true) throw new Error(`subscribe refused: ${JSON.stringify(reply)}`);
  }

  close(): void {
    this.ws.terminate();
  }
}
