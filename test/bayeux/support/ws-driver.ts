// websocket by hand (CometD/Faye `connectionType: "websocket"`): JSON arrays in text frames both ways on
// the mount URL. The `ws` library is the client on purpose: an independent peer for our server.
// Replies are matched to the request that caused them by `id` (Bayeux §3.8: meta replies carry the
// request id), or by channel in FIFO order for messages sent without one.

import type { Message } from '@pushwire/bayeux';
import WebSocket from 'ws';
import { DeliveryLog, type Driver, isReply, parseBatch, type SendOptions } from './transport.js';

interface Pending {
  /** Still unanswered: the request's id, or `channel:<name>` when it has none. */
  keys: string[];
  frames: Message[];
  resolve: (batch: Message[]) => void;
  reject: (err: Error) => void;
}

export class WsDriver implements Driver {
  readonly transport = 'websocket' as const;
  private readonly log = new DeliveryLog();
  private pending: Pending[] = [];
  /** Every frame received, parsed, in order (for "one frame" assertions). */
  readonly frames: Message[][] = [];
  private closed: Promise<void>;

  private readonly ws: WebSocket;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    this.closed = new Promise((resolve) =>
      ws.once('close', (code) => {
        // A request still waiting when the server closes the socket will never be answered.
        for (const p of this.pending.splice(0)) p.reject(new SocketClosedError(code));
        resolve();
      }),
    );
    ws.on('message', (data, isBinary) => {
      if (isBinary) throw new Error('server sent a binary frame; Bayeux over WebSocket uses text frames');
      this.onFrame(parseBatch(data.toString(), 'websocket frame'));
    });
  }

  static open(url: string): Promise<WsDriver> {
    const ws = new WebSocket(url);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new WsDriver(ws)));
      ws.once('error', reject);
    });
  }

  get deliveries(): Message[] {
    return this.log.deliveries;
  }

  send(messages: Message | Message[], opts: SendOptions = {}): Promise<Message[]> {
    const batch = Array.isArray(messages) ? messages : [messages];
    return new Promise((resolve, reject) => {
      const keys =
        opts.awaitIds?.map((id) => `id:${id}`) ??
        batch.map((m) => (m.id !== undefined ? `id:${m.id}` : `channel:${m.channel}`));
      if (this.ws.readyState !== WebSocket.OPEN) return reject(new SocketClosedError(0));
      this.pending.push({ keys, frames: [], resolve, reject });
      this.ws.send(JSON.stringify(batch), (err) => err && reject(err));
    });
  }

  waitForDelivery(match: (m: Message) => boolean, ms: number): Promise<Message> {
    return this.log.wait(match, ms);
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    // Closing on purpose: requests still waiting (a held connect) are abandoned, not failed.
    this.pending = [];
    this.ws.close();
    const timer = setTimeout(() => this.ws.terminate(), 1000);
    await this.closed;
    clearTimeout(timer);
  }

  private onFrame(frame: Message[]): void {
    this.frames.push(frame);
    this.log.record(frame);
    const touched = new Set<Pending>();
    for (const m of frame) {
      const byId = m.id !== undefined ? this.pending.find((p) => p.keys.includes(`id:${m.id}`)) : undefined;
      const byChannel = isReply(m)
        ? this.pending.find((p) => p.keys.includes(`channel:${m.channel}`))
        : undefined;
      const owner = byId ?? byChannel;
      if (!owner) continue;
      const key = byId ? `id:${m.id}` : `channel:${m.channel}`;
      owner.keys.splice(owner.keys.indexOf(key), 1);
      touched.add(owner);
    }
    for (const p of this.pending) if (touched.has(p)) p.frames.push(...frame);
    for (const p of [...touched]) {
      if (p.keys.length > 0) continue;
      this.pending.splice(this.pending.indexOf(p), 1);
      p.resolve(p.frames);
    }
  }
}

/** The server closed the WebSocket while a request was unanswered (Faye does after a disconnect). */
export class SocketClosedError extends Error {
  readonly code: number;
  constructor(code: number) {
    super(`websocket closed (code ${code}) before the reply arrived`);
    this.code = code;
  }
}
