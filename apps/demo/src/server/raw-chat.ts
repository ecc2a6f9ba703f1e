// The raw WebSocket chat technique: no Bayeux on the wire, just JSON frames on ws://host/ws/chat. The bridge
// makes such a chatter a member of the same rooms: what it says is published on the room's Bayeux channels
// (so every Bayeux client sees it, on any transport), and what is published there is framed once per room
// and written to the room's raw sockets.

import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from '@pushwire/websocket';
import {
  CHANNELS,
  type ChatMessage,
  PATHS,
  type PresenceEvent,
  type RawServerFrame,
  type TypingEvent,
} from '../shared/protocol.js';
import { ChatError, type ChatRooms, type Publisher } from './chat.js';

export interface RawChatLimits {
  maxRawChatters: number;
  maxRawFrameBytes: number;
}

/** RFC 6455 §7.4.1: 1008 = policy violation (a refused join or a bad frame). */
const POLICY_VIOLATION = 1008;
const CHANNEL = /^\/chat\/([a-z0-9-]+)\/(messages|presence|typing)$/;

function refuse(socket: Duplex, status: number, reason: string): void {
  const body = `${reason}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

/** Browsers open cross-site WebSockets freely: only pages of this server may join (same Host). */
function sameOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true; // not a browser (no ambient credentials to abuse)
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

export class RawChatBridge {
  readonly #wss: WebSocketServer;
  readonly #rooms = new Map<string, Set<WebSocket>>();
  readonly #chat: ChatRooms;
  readonly #publisher: Publisher;
  readonly #limits: RawChatLimits;
  readonly #onError: (err: unknown) => void;
  #next = 0;
  #count = 0;

  constructor(chat: ChatRooms, publisher: Publisher, limits: RawChatLimits, onError: (err: unknown) => void) {
    this.#chat = chat;
    this.#publisher = publisher;
    this.#limits = limits;
    this.#onError = onError;
    this.#wss = new WebSocketServer({ noServer: true, maxPayload: limits.maxRawFrameBytes });
  }

  get connections(): number {
    return this.#count;
  }

  /** Takes the upgrade when it is for the raw chat path; false leaves the socket alone. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== PATHS.rawChat) return false;
    if (!sameOrigin(req)) {
      refuse(socket, 403, 'Forbidden');
      return true;
    }
    if (this.#count >= this.#limits.maxRawChatters) {
      refuse(socket, 503, 'Service Unavailable');
      return true;
    }
    this.#count++;
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#open(ws, url.searchParams));
    socket.once('close', () => this.#count--);
    return true;
  }

  #open(ws: WebSocket, params: URLSearchParams): void {
    const key = `raw:${++this.#next}`;
    let room: string;
    try {
      const welcome = this.#chat.join(
        key,
        params.get('room') ?? 'lobby',
        params.get('nick'),
        'raw-websocket',
      );
      room = welcome.room;
      this.#send(ws, { type: 'welcome', ...welcome });
    } catch (err) {
      const reason = err instanceof ChatError ? err.message : 'cannot join';
      ws.close(POLICY_VIOLATION, reason.slice(0, 120));
      return;
    }
    let sockets = this.#rooms.get(room);
    if (!sockets) this.#rooms.set(room, (sockets = new Set()));
    sockets.add(ws);
    ws.on('message', (data, isBinary) => this.#receive(ws, key, room, data, isBinary));
    ws.on('error', () => undefined); // closes follow; the close code tells the peer
    ws.on('close', () => {
      sockets.delete(ws);
      if (sockets.size === 0) this.#rooms.delete(room);
      this.#chat.leave(key);
    });
  }

  #receive(ws: WebSocket, key: string, room: string, data: Buffer | ArrayBuffer, isBinary: boolean): void {
    let frame: unknown;
    try {
      if (isBinary) throw new ChatError('frames are JSON text');
      frame = JSON.parse(Buffer.from(data as Buffer).toString('utf8'));
    } catch {
      this.#send(ws, { type: 'error', message: 'frames are JSON text: {"type":"message","text":"..."}' });
      return;
    }
    const type = (frame as { type?: unknown } | null)?.type;
    try {
      if (type === 'message') {
        const message = this.#chat.message(key, room, frame);
        this.#publisher.publish(CHANNELS.chatMessages(room), message).catch(this.#onError);
      } else if (type === 'typing') {
        const typing = this.#chat.typing(key, room, frame);
        this.#publisher.publish(CHANNELS.chatTypingEvents(room), typing).catch(this.#onError);
      } else if (type === 'echo') {
        const sent = (frame as { sent?: unknown }).sent;
        this.#send(ws, { type: 'echo', sent: typeof sent === 'number' && Number.isFinite(sent) ? sent : 0 });
      } else throw new ChatError("type is 'message', 'typing' or 'echo'");
    } catch (err) {
      if (!(err instanceof ChatError)) throw err;
      this.#send(ws, { type: 'error', message: err.message });
    }
  }

  /** Called for every Bayeux publish: chat traffic goes to the room's raw sockets, framed once. */
  deliver(channel: string, data: unknown): void {
    const match = CHANNEL.exec(channel);
    if (match === null) return;
    const sockets = this.#rooms.get(match[1] ?? '');
    if (sockets === undefined || sockets.size === 0) return;
    const kind = match[2];
    const frame: RawServerFrame =
      kind === 'messages'
        ? { type: 'message', ...(data as ChatMessage) }
        : kind === 'presence'
          ? { type: 'presence', ...(data as PresenceEvent) }
          : { type: 'typing', ...(data as TypingEvent) };
    this.#wss.broadcast(JSON.stringify(frame), sockets);
  }

  #send(ws: WebSocket, frame: RawServerFrame): void {
    ws.send(JSON.stringify(frame));
  }

  close(): Promise<void> {
    return this.#wss.close();
  }
}
