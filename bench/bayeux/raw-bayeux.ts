// Bayeux spoken directly by the load generator, over raw WebSocket frames or HTTP long-polling, so the
// generator is cheap and identical for every server. Deliveries are recognised by the timestamp key the
// generator puts in each published payload (`"__t":<ms>`), scanned without JSON.parse on the hot path.
import { Agent, request } from 'node:http';
import { OP, type RawWs, rawConnect } from '../lib/raw-ws.js';

export const STAMP = '"__t":';

export interface Target {
  host: string;
  port: number;
  path: string;
}

/**
 * Responses that carried deliveries to a client (a long-poll connect reply, a socket.io GET, a websocket
 * frame with deliveries): deliveries / responses is how well the server batched, a load-independent figure.
 */
export const counters = { responses: 0 };

export interface BayeuxSink {
  /** One delivered chat message; `sentAt` is the publisher's performance.now() stamp. */
  delivery(sentAt: number): void;
  /** A failure reply or an unexpected advice (counts as an error for the step). */
  error(text: string): void;
}

type Reply = { id?: string; channel: string; successful?: boolean; clientId?: string; error?: string };

/** Calls `sink.delivery` for each stamped message in a batch of JSON text. */
export function scanDeliveries(text: string, sink: BayeuxSink): void {
  let i = text.indexOf(STAMP);
  while (i >= 0) {
    const start = i + STAMP.length;
    let end = start;
    while (end < text.length) {
      const c = text.charCodeAt(end);
      // digits, '.', '-', 'e'
      if ((c >= 48 && c <= 57) || c === 46 || c === 45 || c === 101) end++;
      else break;
    }
    sink.delivery(Number(text.slice(start, end)));
    i = text.indexOf(STAMP, end);
  }
}

function replyFailed(text: string): boolean {
  return text.includes('"successful":false') || text.includes('"reconnect":"handshake"');
}

export interface ChatClient {
  clientId: string;
  subscribe(channel: string): Promise<void>;
  /** Fire-and-forget publish of pre-serialised data JSON. */
  publish(channel: string, dataJson: string): void;
  /** Bayeux clients: /meta/disconnect, resolved with its reply (the socket stays open: then `close`). */
  disconnect?(): Promise<void>;
  close(): void;
}

let ids = 0;
const nextId = (): string => (++ids).toString(36);

/** Bayeux over a raw WebSocket (connectionType "websocket"), one outstanding /meta/connect at a time. */
export async function wsChatClient(
  target: Target,
  sink: BayeuxSink,
  localAddress?: string,
): Promise<ChatClient> {
  const pending = new Map<string, (r: Reply) => void>();
  let clientId = '';
  let connectId = '';
  let leaving = false;
  let sock: RawWs | null = null;
  const send = (messages: object[]): void => {
    sock?.send(OP.text, Buffer.from(JSON.stringify(messages)));
  };
  const call = (msg: Record<string, unknown>): Promise<Reply> => {
    const id = nextId();
    return new Promise((resolve) => {
      pending.set(id, resolve);
      send([{ ...msg, id }]);
    });
  };
  const reconnect = (): void => {
    if (leaving) return; // disconnect(): the held connect's reply must not start another
    connectId = nextId();
    send([{ channel: '/meta/connect', clientId, connectionType: 'websocket', id: connectId }]);
  };
  sock = await rawConnect({
    ...target,
    localAddress,
    wantPayload: true,
    handlers: {
      onMessage: (_op, payload) => {
        if (!payload) return;
        const text = payload.toString();
        if (text.includes(STAMP)) {
          counters.responses++;
          scanDeliveries(text, sink);
        }
        if (clientId && text.includes(`"id":"${connectId}"`)) {
          if (replyFailed(text) && !leaving) sink.error(text.slice(0, 300));
          reconnect();
        }
        if (pending.size > 0) {
          const replies = JSON.parse(text) as Reply[];
          for (const r of replies) {
            const cb = r.id === undefined ? undefined : pending.get(r.id);
            if (cb && r.id !== undefined) {
              pending.delete(r.id);
              cb(r);
            }
          }
        }
      },
    },
  });
  const hs = await call({
    channel: '/meta/handshake',
    version: '1.0',
    supportedConnectionTypes: ['websocket', 'long-polling'],
  });
  if (!hs.successful || !hs.clientId) throw new Error(`handshake failed: ${JSON.stringify(hs)}`);
  clientId = hs.clientId;
  // Bayeux 4.2.1 style first connect with timeout 0: answered at once, then one is kept outstanding.
  const first = await call({
    channel: '/meta/connect',
    clientId,
    connectionType: 'websocket',
    advice: { timeout: 0 },
  });
  if (!first.successful) throw new Error(`connect failed: ${JSON.stringify(first)}`);
  reconnect();
  const prefix = `","clientId":"${clientId}","data":{${STAMP}`;
  return {
    clientId,
    async subscribe(channel) {
      const r = await call({ channel: '/meta/subscribe', clientId, subscription: channel });
      if (!r.successful) throw new Error(`subscribe failed: ${JSON.stringify(r)}`);
    },
    publish(channel, dataJson) {
      // dataJson starts right after the stamp key: `<ms>,"p":"..."}`
      sock?.send(OP.text, Buffer.from(`[{"channel":"${channel}${prefix}${dataJson}}}]`));
    },
    async disconnect() {
      leaving = true;
      await call({ channel: '/meta/disconnect', clientId });
    },
    close() {
      sock?.destroy();
    },
  };
}

/** Bayeux over HTTP long-polling: a connect loop on its own keep-alive socket, publishes on a second. */
export async function lpChatClient(target: Target, sink: BayeuxSink): Promise<ChatClient> {
  const agent = new Agent({ keepAlive: true, maxSockets: 2 });
  let cookie = '';
  let closed = false;
  let looping = false;
  const post = (body: string): Promise<string> =>
    new Promise((resolve, reject) => {
      const req = request(
        {
          host: target.host,
          port: target.port,
          path: target.path,
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) },
        },
        (res) => {
          const set = res.headers['set-cookie'];
          if (set) cookie = set.map((c) => c.split(';')[0]).join('; ');
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString();
            if (res.statusCode !== 200) reject(new Error(`HTTP ${res.statusCode}: ${text.slice(0, 200)}`));
            else resolve(text);
          });
        },
      );
      req.on('error', reject);
      req.on('socket', (s) => s.setNoDelay(true));
      req.end(body);
    });
  const call = async (msg: Record<string, unknown>): Promise<Reply> => {
    const text = await post(JSON.stringify([{ ...msg, id: nextId() }]));
    const replies = JSON.parse(text) as Reply[];
    const r = replies.find((x) => x.channel === msg.channel);
    if (!r) throw new Error(`no ${String(msg.channel)} reply in ${text.slice(0, 200)}`);
    return r;
  };
  const hs = await call({
    channel: '/meta/handshake',
    version: '1.0',
    supportedConnectionTypes: ['long-polling'],
  });
  if (!hs.successful || !hs.clientId) throw new Error(`handshake failed: ${JSON.stringify(hs)}`);
  const clientId = hs.clientId;
  const first = await call({
    channel: '/meta/connect',
    clientId,
    connectionType: 'long-polling',
    advice: { timeout: 0 },
  });
  if (!first.successful) throw new Error(`connect failed: ${JSON.stringify(first)}`);
  const connectBody = `[{"channel":"/meta/connect","clientId":"${clientId}","connectionType":"long-polling"}]`;
  const loop = (): void => {
    if (closed) return;
    post(connectBody).then(
      (text) => {
        if (text.includes(STAMP)) {
          counters.responses++;
          scanDeliveries(text, sink);
        }
        if (replyFailed(text)) sink.error(text.slice(0, 300));
        loop();
      },
      (err: Error) => {
        if (!closed) sink.error(err.message);
      },
    );
  };
  const prefix = `","clientId":"${clientId}","data":{${STAMP}`;
  return {
    clientId,
    async subscribe(channel) {
      const r = await call({ channel: '/meta/subscribe', clientId, subscription: channel });
      if (!r.successful) throw new Error(`subscribe failed: ${JSON.stringify(r)}`);
      if (!looping) {
        looping = true;
        loop();
      }
    },
    publish(channel, dataJson) {
      post(`[{"channel":"${channel}${prefix}${dataJson}}}]`).then(
        (text) => {
          // The reply to a publish may carry deliveries too (Bayeux lets a server piggyback them).
          if (text.includes(STAMP)) {
            counters.responses++;
            scanDeliveries(text, sink);
          }
          if (text.includes('"successful":false')) sink.error(text.slice(0, 300));
        },
        (err: Error) => {
          if (!closed) sink.error(err.message);
        },
      );
    },
    async disconnect() {
      // The held connect comes back with the disconnect (reconnect none): the loop must not re-connect.
      closed = true;
      await call({ channel: '/meta/disconnect', clientId });
    },
    close() {
      closed = true;
      agent.destroy();
    },
  };
}
