// /chat: nickname, rooms, presence, typing indicator, recent messages on join, on any technique. Bayeux
// techniques give their nickname in the handshake (the server's presence shows it), join a room by
// subscribing to /chat/messages/<room> (a presence member; the server's /presence/chat/messages/<room>
// events say who joins and leaves), and talk to the /service/chat/* services; the raw WebSocket technique
// speaks small JSON frames on /ws/chat, bridged by the server into the same rooms.

import {
  CHANNELS,
  type ChatHandshakeExt,
  type ChatMessage,
  type ChatWelcome,
  type Member,
  PATHS,
  type PresenceEvent,
  presenceEvent,
  type RawClientFrame,
  type RawServerFrame,
  ROOM_PATTERN,
  TECHNIQUE_LABELS,
  TECHNIQUES,
  type Technique,
  type TypingEvent,
} from '../shared/protocol.js';
import { byId, h, timeOf } from './common/dom.js';
import type { Meter } from './common/meter.js';
import {
  connectBayeux,
  createMeter,
  params,
  reason,
  renderSwitcher,
  techniqueFromUrl,
} from './common/page.js';

/** How a chat page talks, whatever the technique. */
interface ChatLink {
  send(text: string): Promise<void>;
  typing(typing: boolean): void;
}

interface ChatView {
  welcome(w: ChatWelcome): void;
  message(m: ChatMessage): void;
  presence(p: PresenceEvent): void;
  typing(t: TypingEvent): void;
  error(text: string): void;
}

const TYPING_SHOWN_MS = 4000;
const TYPING_RESEND_MS = 2000;
const TYPING_IDLE_MS = 3000;
/** Messages kept on screen. */
const MAX_SHOWN = 200;

const technique = techniqueFromUrl();
renderSwitcher(technique, TECHNIQUES);
const meter = createMeter(technique);

const q = params();
const nick = q.get('nick')?.trim() ?? '';
const room = q.get('room')?.trim() || 'lobby';

if (nick === '' || !ROOM_PATTERN.test(room)) showJoinForm();
else start(nick, room);

function showJoinForm(): void {
  const form = byId<HTMLFormElement>('join-form');
  form.hidden = false;
  const roomInput = form.elements.namedItem('room') as HTMLInputElement;
  if (ROOM_PATTERN.test(room)) roomInput.value = room;
  (form.elements.namedItem('nick') as HTMLInputElement).focus();
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const next = params();
    next.set('technique', technique);
    next.set('nick', (form.elements.namedItem('nick') as HTMLInputElement).value.trim());
    next.set('room', roomInput.value.trim());
    location.search = next.toString();
  });
  meter.setStatus('not joined');
}

function start(nickname: string, roomName: string): void {
  byId('chat').hidden = false;
  byId('room-name').textContent = roomName;
  const view = createView(nickname);
  const link =
    technique === 'raw-websocket'
      ? rawLink(nickname, roomName, view, meter)
      : bayeuxLink(technique, nickname, roomName, view, meter);
  wireForms(link, view);
}

function createView(self: string): ChatView {
  const messages = byId('messages');
  const presence = byId('presence');
  const activity = byId('activity');
  const typingEl = byId('typing');
  const errorEl = byId('chat-error');
  const seen = new Set<string>();
  /** Who is in the room, by member id: the welcome's list, then each join and leave. */
  const members = new Map<string, Member>();
  let count = 0;
  const typers = new Map<string, number>();

  const renderTyping = (): void => {
    const now = Date.now();
    for (const [who, until] of typers) if (until <= now || who === self) typers.delete(who);
    const names = [...typers.keys()];
    typingEl.textContent =
      names.length === 0
        ? ''
        : names.length === 1
          ? `${names[0]} is typing…`
          : `${names.join(', ')} are typing…`;
  };
  setInterval(renderTyping, 1000);

  const addMessage = (m: ChatMessage): void => {
    if (seen.has(m.id)) return;
    seen.add(m.id);
    typers.delete(m.nick);
    renderTyping();
    const atBottom = messages.scrollHeight - messages.scrollTop - messages.clientHeight < 40;
    messages.append(
      h(
        'li',
        { class: m.nick === self ? 'msg mine' : 'msg', 'data-testid': 'message', 'data-id': m.id },
        h('span', { class: 'nick', 'data-testid': 'message-nick' }, m.nick),
        h('span', { class: 'text', 'data-testid': 'message-text' }, m.text),
        h(
          'span',
          { class: 'meta' },
          h('time', { datetime: new Date(m.ts).toISOString() }, timeOf(m.ts)),
          ' · ',
          TECHNIQUE_LABELS[m.technique],
        ),
      ),
    );
    while (messages.children.length > MAX_SHOWN) messages.firstElementChild?.remove();
    if (atBottom) messages.scrollTop = messages.scrollHeight;
  };
  const renderMembers = (): void => {
    const list = [...members.values()].sort(
      (a, b) => a.nick.localeCompare(b.nick) || a.id.localeCompare(b.id),
    );
    const items = list.map((m) =>
      h(
        'li',
        { 'data-testid': 'member', class: m.nick === self ? 'me' : undefined },
        h('span', { class: 'dot', 'aria-hidden': 'true' }),
        h('span', { class: 'member-nick' }, m.nick),
        m.technique === null
          ? ''
          : h('span', { class: 'badge', title: TECHNIQUE_LABELS[m.technique] }, shortLabel(m.technique)),
      ),
    );
    // A large room lists nobody (the server's presence gives the count only): say how many are here.
    if (count > list.length) {
      items.push(h('li', { class: 'more' }, `${count - list.length} more online`));
    }
    presence.replaceChildren(...items);
  };
  const note = (text: string): void => {
    activity.prepend(h('li', {}, h('time', {}, timeOf(Date.now())), ' ', text));
    while (activity.children.length > 8) activity.lastElementChild?.remove();
  };
  return {
    welcome(w) {
      for (const m of w.recent) addMessage(m);
      members.clear();
      for (const m of w.members) members.set(m.id, m);
      count = w.count;
      renderMembers();
      note(`you joined ${w.room} as ${w.nick}`);
      messages.scrollTop = messages.scrollHeight;
    },
    message: addMessage,
    presence(p) {
      if (p.event === 'join') members.set(p.member.id, p.member);
      else members.delete(p.member.id);
      count = p.count;
      renderMembers();
      const who = p.member.nick;
      if (who !== self || p.event === 'leave') note(`${who} ${p.event === 'join' ? 'joined' : 'left'}`);
    },
    typing(t) {
      if (t.typing) typers.set(t.nick, Date.now() + TYPING_SHOWN_MS);
      else typers.delete(t.nick);
      renderTyping();
    },
    error(text) {
      errorEl.textContent = text;
      if (text !== '') setTimeout(() => errorEl.textContent === text && (errorEl.textContent = ''), 6000);
    },
  };
}

function shortLabel(t: Technique): string {
  return {
    websocket: 'WS',
    'long-polling': 'LP',
    'callback-polling': 'JSONP',
    'short-polling': 'SP',
    'raw-websocket': 'raw WS',
  }[t];
}

function wireForms(link: ChatLink, view: ChatView): void {
  const form = byId<HTMLFormElement>('send-form');
  const input = form.elements.namedItem('message') as HTMLInputElement;
  let lastTyping = 0;
  let idle: ReturnType<typeof setTimeout> | undefined;
  input.addEventListener('input', () => {
    const now = Date.now();
    if (input.value !== '' && now - lastTyping > TYPING_RESEND_MS) {
      lastTyping = now;
      link.typing(true);
    }
    clearTimeout(idle);
    idle = setTimeout(() => {
      lastTyping = 0;
      link.typing(false);
    }, TYPING_IDLE_MS);
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (text === '') return;
    input.value = '';
    clearTimeout(idle);
    lastTyping = 0;
    link.send(text).then(
      () => view.error(''),
      (err: unknown) => {
        view.error(reason(err));
        if (input.value === '') input.value = text;
      },
    );
  });
  const roomForm = byId<HTMLFormElement>('room-form');
  roomForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const next = (roomForm.elements.namedItem('room') as HTMLInputElement).value.trim();
    if (!ROOM_PATTERN.test(next)) return view.error('a room name is lower-case letters, digits or dashes');
    const p = params();
    p.set('room', next);
    location.search = p.toString();
  });
  input.focus();
}

function bayeuxLink(
  t: Exclude<Technique, 'raw-websocket'>,
  nickname: string,
  roomName: string,
  view: ChatView,
  m: Meter,
): ChatLink {
  // The nickname travels in the handshake: the server's presence shows it with this session.
  const ext: ChatHandshakeExt = { chat: { nick: nickname, technique: t } };
  const client = connectBayeux(t, m, ext);
  const subs = [
    client.subscribe(CHANNELS.chatPresence(roomName), (data) => {
      const event = presenceEvent(data);
      if (event !== null) view.presence(event);
    }),
    client.subscribe(CHANNELS.chatTypingEvents(roomName), (data) => view.typing(data as TypingEvent)),
    // Subscribing to the room's messages is joining it: the session becomes a presence member.
    client.subscribe(CHANNELS.chatMessages(roomName), (data) => view.message(data as ChatMessage)),
  ];
  // The welcome after subscribing, so nothing said between the welcome and the subscriptions is missed
  // (the welcome's recent messages, from the room's history, and live ones are merged by id).
  const join = async (): Promise<void> => {
    await Promise.all(subs);
    view.welcome(await client.remoteCall<ChatWelcome>(CHANNELS.chatJoin, { room: roomName }));
  };
  const joined = join().catch((err: unknown) => view.error(`could not join: ${reason(err)}`));
  // A new session (server restart, expiry) is a new member: its subscriptions are renewed; welcome again.
  client.on('handshake', (_reply, reestablished) => {
    if (reestablished) joined.then(() => join()).catch((err: unknown) => view.error(reason(err)));
  });
  return {
    async send(text) {
      await client.remoteCall(CHANNELS.chatSend, { room: roomName, text });
    },
    typing(typing) {
      client.remoteCall(CHANNELS.chatTyping, { room: roomName, typing }).catch(() => undefined);
    },
  };
}

function rawLink(nickname: string, roomName: string, view: ChatView, m: Meter): ChatLink {
  const Socket = m.WebSocket;
  const url = new URL(PATHS.rawChat, location.href);
  url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  url.searchParams.set('room', roomName);
  url.searchParams.set('nick', nickname);
  let ws: WebSocket;
  let retry = 500;
  const open = (): void => {
    ws = new Socket(url.href);
    ws.addEventListener('open', () => {
      retry = 500;
      m.setStatus('connected');
    });
    ws.addEventListener('message', (event) => {
      let frame: RawServerFrame;
      try {
        frame = JSON.parse(String(event.data)) as RawServerFrame;
      } catch {
        return;
      }
      if (frame.type !== 'error') m.received();
      if (frame.type === 'welcome') view.welcome(frame);
      else if (frame.type === 'message') view.message(frame);
      else if (frame.type === 'presence') view.presence(frame);
      else if (frame.type === 'typing') view.typing(frame);
      else if (frame.type === 'echo') m.setRtt(performance.now() - frame.sent);
      else if (frame.type === 'error') view.error(frame.message);
    });
    ws.addEventListener('close', (event) => {
      if (event.code === 1008) {
        m.setStatus('refused');
        view.error(event.reason || 'the server refused this chat');
        return;
      }
      m.setStatus('reconnecting');
      setTimeout(open, retry);
      retry = Math.min(retry * 2, 10_000);
    });
  };
  open();
  const sendFrame = (frame: RawClientFrame): boolean => {
    if (ws.readyState !== WebSocket.OPEN) return false;
    ws.send(JSON.stringify(frame));
    return true;
  };
  setInterval(() => sendFrame({ type: 'echo', sent: performance.now() }), 3000);
  return {
    async send(text) {
      if (!sendFrame({ type: 'message', text })) throw new Error('not connected; retrying');
    },
    typing(typing) {
      sendFrame({ type: 'typing', typing });
    },
  };
}
