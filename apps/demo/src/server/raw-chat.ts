// The raw WebSocket chat technique, on the component framework (@pushwire/components, Ratchet-style): no
// Bayeux on the wire, just JSON frames on ws://host/ws/chat. Each chatter is an in-process Bayeux session
// of its own (bayeux.localSession({info}), an engine client like any other, so it works across nodes with
// a shared engine): subscribed to its room's /chat/messages/<room> it is a presence member (others see it
// join and leave, with its nick); its welcome carries the room's recent messages, read from the channel's
// history after subscribing (gap-free: what is in both is dropped by its position). What it says is
// published as that session. The room's typing
// and presence events reach the room's sockets through one BayeuxBridge (one more local session),
// formatted once and framed once.
//
// Stack on the App's route: RawChatGate (same origin, maxRawChatters) -> WsServer (maxRawFrameBytes) ->
// RawChat (this component; maxRawJoinBacklog via JoinBacklog).

import { type Message as BayeuxMessage, type HistoryPosition, parsePosition } from '@pushwire/bayeux';
import {
  BayeuxBridge,
  type Component,
  type Connection,
  HttpLayer,
  type HttpRequest,
  type Message,
  WsServer,
} from '@pushwire/components';
import { type BayeuxServer, hostRefusal, type LocalSession } from '@pushwire/server';
import {
  CHANNELS,
  type ChatInfo,
  type ChatMessage,
  presenceEvent,
  type RawServerFrame,
  type TypingEvent,
} from '../shared/protocol.js';
import { ChatError, type ChatRooms } from './chat.js';
import { JoinBacklog } from './join-backlog.js';

export interface RawChatLimits {
  maxRawChatters: number;
  maxRawFrameBytes: number;
  maxRawJoinBacklog: number;
  chatRecent: number;
}

/** RFC 6455 §7.4.1: 1008 = policy violation (a refused join). */
const POLICY_VIOLATION = 1008;
/** RFC 6455 §7.4.1 (IANA registry): 1013 = try again later. */
const TRY_AGAIN_LATER = 1013;

interface Chatter {
  session: LocalSession;
  room: string;
  info: ChatInfo;
  /** The session's client id: the rate limits' key. */
  key: string;
  /** Live messages delivered before the welcome went (maxRawJoinBacklog). */
  early: JoinBacklog<BayeuxMessage>;
  /** The welcome's history read: what is at or before it came in the welcome. */
  upTo: HistoryPosition | undefined;
}

/** A message of the room's typing or presence channel as the raw frame a chatter gets. */
export function rawFrame(data: unknown, channel: string): string {
  if (channel.startsWith('/presence/')) {
    const event = presenceEvent(data);
    // The server's own events: always well formed; anything else is said as an error frame, not dropped.
    if (event !== null) return JSON.stringify({ type: 'presence', ...event } satisfies RawServerFrame);
    return JSON.stringify({ type: 'error', message: 'unreadable presence event' } satisfies RawServerFrame);
  }
  return JSON.stringify({ type: 'typing', ...(data as TypingEvent) } satisfies RawServerFrame);
}

function messageFrame(data: unknown): string {
  return JSON.stringify({ type: 'message', ...(data as ChatMessage) } satisfies RawServerFrame);
}

/** False for a message at or before `upTo` in the same epoch (it was in the welcome's history read). */
function isAfter(message: BayeuxMessage, upTo: HistoryPosition | undefined): boolean {
  if (upTo === undefined) return true;
  const at = parsePosition((message.ext as { history?: unknown } | undefined)?.history);
  return at === undefined || at.epoch !== upTo.epoch || at.offset > upTo.offset;
}

export class RawChat implements Component {
  readonly #chatters = new Map<Connection, Chatter>();
  readonly #chat: ChatRooms;
  readonly #bayeux: Pick<BayeuxServer, 'localSession'>;
  readonly #history: Pick<BayeuxServer, 'history'>;
  readonly #limits: RawChatLimits;
  readonly bridge: BayeuxBridge;
  readonly #onError: (err: unknown) => void;
  /** Opened and not yet closed (joins in progress included): what maxRawChatters counts. */
  #open = 0;

  constructor(
    chat: ChatRooms,
    bayeux: Pick<BayeuxServer, 'localSession' | 'history'>,
    limits: RawChatLimits,
    onError: (err: unknown) => void,
  ) {
    this.#chat = chat;
    this.#bayeux = bayeux;
    this.#history = bayeux;
    this.#limits = limits;
    this.bridge = new BayeuxBridge(bayeux, { format: rawFrame });
    this.#onError = onError;
  }

  get connections(): number {
    return this.#open;
  }

  async onOpen(conn: Connection, request?: HttpRequest): Promise<void> {
    this.#open++;
    const query = request?.query ?? new URLSearchParams();
    const rawRoom = query.get('room') ?? 'lobby';
    try {
      const { room, nick } = this.#chat.check(rawRoom, query.get('nick'));
      const info: ChatInfo = { nick, technique: 'raw-websocket' };
      // Typing and presence first: no join or leave between them and the welcome's member list is missed.
      await this.bridge.forward(conn, CHANNELS.chatTypingEvents(room));
      await this.bridge.forward(conn, CHANNELS.chatPresence(room));
      if (!conn.open) return;
      const session = this.#bayeux.localSession({ info });
      const chatter: Chatter = {
        session,
        room,
        info,
        key: '',
        early: new JoinBacklog(this.#limits.maxRawJoinBacklog),
        upTo: undefined,
      };
      this.#chatters.set(conn, chatter);
      const channel = CHANNELS.chatMessages(room);
      // Subscribed first, then the history read: every message is in the read or arrives after it; one in
      // both (at or before the read's position, same epoch) is dropped, so none is missed or doubled.
      await session.subscribe(channel, (data, _channel, message) => {
        if (!isAfter(message, chatter.upTo)) return;
        if (!chatter.early.holding) conn.send(messageFrame(data));
        else if (!chatter.early.hold(message)) {
          // Held messages are bounded; dropping some would be a silent gap: the page reconnects instead.
          conn.close(TRY_AGAIN_LATER, 'the room is too busy to join now; try again');
        }
      });
      chatter.key = await session.ready();
      const [history, members] = await Promise.all([
        this.#history.history(channel, { limit: this.#limits.chatRecent }),
        this.#chat.members(room),
      ]);
      if (!conn.open) return;
      chatter.upTo = { epoch: history.epoch, offset: history.offset };
      const after = chatter.early.release().filter((m) => isAfter(m, chatter.upTo));
      this.#send(conn, {
        type: 'welcome',
        room,
        nick,
        recent: history.messages.map((m) => m.data as ChatMessage),
        ...members,
      });
      for (const m of after) conn.send(messageFrame(m.data));
    } catch (err) {
      if (!conn.open) return; // closed while joining: onClose has cleaned up
      if (!(err instanceof ChatError)) throw err;
      conn.close(POLICY_VIOLATION, err.message.slice(0, 120));
    }
  }

  onMessage(conn: Connection, message: Message): void {
    const chatter = this.#chatters.get(conn);
    if (chatter === undefined || chatter.early.holding) return;
    const { key, room, info, session } = chatter;
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
        const said = this.#chat.message(key, info, frame);
        session.publish(CHANNELS.chatMessages(room), said).catch(this.#onError);
      } else if (type === 'typing') {
        const typing = this.#chat.typing(key, info, frame);
        session.publish(CHANNELS.chatTypingEvents(room), typing).catch(this.#onError);
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
    if (chatter.key !== '') this.#chat.forget(chatter.key);
    // Its presence leave: the engine's `left` when the session goes, like an expired client's.
    chatter.session.close().catch(this.#onError);
  }

  onError(_conn: Connection, error: Error): void {
    this.#onError(error);
  }

  /** Every chatter's session, then the bridge's. */
  async close(): Promise<void> {
    const sessions = [...this.#chatters.values()].map((c) => c.session.close());
    this.#chatters.clear();
    await Promise.allSettled(sessions);
    await this.bridge.close();
  }

  #send(conn: Connection, frame: RawServerFrame): void {
    conn.send(JSON.stringify(frame));
  }
}

/**
 * The HTTP layer in front of the raw chat's WsServer: browsers open cross-site WebSockets freely, so only
 * pages of this server may join (the Origin's host must be the Host asked for, whatever name or address the
 * demo is reached by: a fixed OriginCheck list cannot know it), and the Host itself must be one this server
 * serves: a DNS-rebinding page makes Origin and Host agree on its own name, so the Bayeux mount's guard
 * (hostRefusal, the server's allowedHosts) applies here too; and at most maxRawChatters at once (503).
 */
export class RawChatGate extends HttpLayer {
  readonly ws: WsServer;
  readonly #chat: RawChat;
  readonly #limits: RawChatLimits;
  readonly #allowedHosts: readonly string[] | 'all';

  constructor(chat: RawChat, limits: RawChatLimits, allowedHosts: readonly string[] | 'all') {
    super();
    this.#chat = chat;
    this.#limits = limits;
    this.#allowedHosts = allowedHosts;
    this.ws = new WsServer(chat, { maxPayload: limits.maxRawFrameBytes });
  }

  onOpen(conn: Connection, request: HttpRequest): void | Promise<void> {
    const badHost = hostRefusal(request.raw, this.#allowedHosts);
    if (badHost !== undefined) {
      this.refuse(conn, request, 403, badHost);
      return;
    }
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
