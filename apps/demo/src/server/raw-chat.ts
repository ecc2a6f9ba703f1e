// The raw WebSocket chat technique, on the component framework (@pushwire/components, Ratchet-style): no
// Bayeux on the wire, just JSON frames on ws://host/ws/chat. A BayeuxBridge (one in-process session of the
// Bayeux server, bayeux.localSession(), in the engine like any client, so it works across nodes with a
// shared engine) makes such a chatter a member of the same rooms: what it says is published on the room's
// Bayeux channels (every Bayeux client sees it, on any transport), and what is published there is
// forwarded to the room's sockets, formatted once and framed once.
//
// Stack on the App's route: RawChatGate (same origin, maxRawChatters) -> WsServer (maxRawFrameBytes) ->
// RawChat (this component).

import {
  BayeuxBridge,
  type Component,
  type Connection,
  HttpLayer,
  type HttpRequest,
  type LocalSessionSource,
  type Message,
  WsServer,
} from '@pushwire/components';
import {
  CHANNELS,
  type ChatMessage,
  type PresenceEvent,
  type RawServerFrame,
  type TypingEvent,
} from '../shared/protocol.js';
import { ChatError, type ChatRooms } from './chat.js';

export interface RawChatLimits {
  maxRawChatters: number;
  maxRawFrameBytes: number;
}

/** RFC 6455 §7.4.1: 1008 = policy violation (a refused join). */
const POLICY_VIOLATION = 1008;
const CHANNEL = /^\/chat\/([a-z0-9-]+)\/(messages|presence|typing)$/;

interface Chatter {
  key: string;
  room: string;
}

/** A Bayeux message on /chat/<room>/<kind> as the raw frame a chatter gets. */
export function rawFrame(data: unknown, channel: string): string {
  const kind = CHANNEL.exec(channel)?.[2];
  const frame: RawServerFrame =
    kind === 'messages'
      ? { type: 'message', ...(data as ChatMessage) }
      : kind === 'presence'
        ? { type: 'presence', ...(data as PresenceEvent) }
        : { type: 'typing', ...(data as TypingEvent) };
  return JSON.stringify(frame);
}

export class RawChat implements Component {
  readonly #chatters = new Map<Connection, Chatter>();
  readonly #chat: ChatRooms;
  readonly bridge: BayeuxBridge;
  readonly #onError: (err: unknown) => void;
  /** Opened and not yet closed (joins in progress included): what maxRawChatters counts. */
  #open = 0;
  #next = 0;

  constructor(chat: ChatRooms, bayeux: LocalSessionSource, onError: (err: unknown) => void) {
    this.#chat = chat;
    this.bridge = new BayeuxBridge(bayeux, { format: rawFrame });
    this.#onError = onError;
  }

  get connections(): number {
    return this.#open;
  }

  async onOpen(conn: Connection, request?: HttpRequest): Promise<void> {
    this.#open++;
    const key = `raw:${++this.#next}`;
    const query = request?.query ?? new URLSearchParams();
    const room = query.get('room') ?? 'lobby';
    try {
      this.#chat.check(room, query.get('nick'));
      // Forward first, then join: nothing said in the room between the two is missed (the page merges
      // the welcome's recent messages with live ones by id).
      await this.bridge.forward(conn, `/chat/${room}/*`);
      const welcome = this.#chat.join(key, room, query.get('nick'), 'raw-websocket');
      this.#chatters.set(conn, { key, room });
      this.#send(conn, { type: 'welcome', ...welcome });
    } catch (err) {
      if (!(err instanceof ChatError)) throw err;
      await this.bridge.stopForwarding(conn);
      conn.close(POLICY_VIOLATION, err.message.slice(0, 120));
    }
  }

  onMessage(conn: Connection, message: Message): void {
    const chatter = this.#chatters.get(conn);
    if (chatter === undefined) return;
    const { key, room } = chatter;
    let frame: unknown;
    try {
      if (typeof message !== 'string') throw new ChatError('frames are JSON text');
      frame = JSON.parse(message);
    } catch {
      this.#send(conn, { type: 'error', message: 'frames are JSON text: {"type":"message","text":"..."}' });
      return;
    }
    const type = (frame as { type?: unknown } | null)?.type;
    try {
      if (type === 'message') {
        const said = this.#chat.message(key, room, frame);
        this.bridge.publish(CHANNELS.chatMessages(room), said).catch(this.#onError);
      } else if (type === 'typing') {
        const typing = this.#chat.typing(key, room, frame);
        this.bridge.publish(CHANNELS.chatTypingEvents(room), typing).catch(this.#onError);
      } else if (type === 'echo') {
        const sent = (frame as { sent?: unknown }).sent;
        this.#send(conn, {
          type: 'echo',
          sent: typeof sent === 'number' && Number.isFinite(sent) ? sent : 0,
        });
      } else throw new ChatError("type is 'message', 'typing' or 'echo'");
    } catch (err) {
      if (!(err instanceof ChatError)) throw err;
      this.#send(conn, { type: 'error', message: err.message });
    }
  }

  onClose(conn: Connection): void {
    this.#open--;
    this.bridge.stopForwarding(conn).catch(this.#onError);
    const chatter = this.#chatters.get(conn);
    if (chatter === undefined) return;
    this.#chatters.delete(conn);
    this.#chat.leave(chatter.key);
  }

  onError(_conn: Connection, error: Error): void {
    this.#onError(error);
  }

  #send(conn: Connection, frame: RawServerFrame): void {
    conn.send(JSON.stringify(frame));
  }
}

/**
 * The HTTP layer in front of the raw chat's WsServer: browsers open cross-site WebSockets freely, so only
 * pages of this server may join (the Origin's host must be the Host asked for, whatever name or address the
 * demo is reached by: a fixed OriginCheck list cannot know it); and at most maxRawChatters at once (503).
 */
export class RawChatGate extends HttpLayer {
  readonly ws: WsServer;
  readonly #chat: RawChat;
  readonly #limits: RawChatLimits;

  constructor(chat: RawChat, limits: RawChatLimits) {
    super();
    this.#chat = chat;
    this.#limits = limits;
    this.ws = new WsServer(chat, { maxPayload: limits.maxRawFrameBytes });
  }

  onOpen(conn: Connection, request: HttpRequest): void | Promise<void> {
    if (!sameOrigin(request.headers.origin, request.headers.host)) {
      this.refuse(conn, request, 403, 'origin not allowed');
      return;
    }
    if (this.#chat.connections >= this.#limits.maxRawChatters) {
      this.refuse(conn, request, 503, `the raw chat is full (maxRawChatters ${this.#limits.maxRawChatters})`);
      return;
    }
    return this.openInner(conn, request, this.ws);
  }
}

function sameOrigin(origin: string | undefined, host: string | undefined): boolean {
  if (origin === undefined) return true; // not a browser: no ambient credentials to abuse
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}
