// Socket.IO 4 (engine.io protocol 4) spoken directly by the load generator, over raw WebSocket frames or
// HTTP long-polling, so Socket.IO meets the same lean generator as the Bayeux servers. A "room" is joined
// with an acknowledged `join` event; a publish is a `chat` event the server relays to the room (sender
// included, like a Bayeux subscriber that publishes). Deliveries are found by the same timestamp key.
//
// engine.io v4 packets: 0 open, 2 ping, 3 pong, 4 message; socket.io packets inside a message: 0 CONNECT,
// 2 EVENT, 3 ACK (with the ack id right after the type). Polling payloads join packets with \x1e.
import { Agent, request } from 'node:http';
import { OP, type RawWs, rawConnect } from '../lib/raw-ws.js';
import {
  type BayeuxSink,
  type ChatClient,
  counters,
  STAMP,
  scanDeliveries,
  type Target,
} from './raw-bayeux.js';

/** Where the Socket.IO server child mounts itself (its default). */
export const SOCKETIO_PATH = '/socket.io/';
const SEP = '\x1e';

/** Socket.IO over a raw WebSocket (`transport=websocket`, no polling upgrade dance). */
export async function wsSocketIoClient(
  target: Target,
  sink: BayeuxSink,
  localAddress?: string,
): Promise<ChatClient> {
  let sid = '';
  let ackId = 0;
  const acks = new Map<number, () => void>();
  let connected: (() => void) | null = null;
  let sock: RawWs | null = null;
  const send = (text: string): void => {
    sock?.send(OP.text, Buffer.from(text));
  };
  const handle = (text: string): void => {
    const c = text.charCodeAt(0);
    if (c === 50 /* 2 ping */) send('3');
    else if (text.startsWith('42')) {
      counters.responses++;
      scanDeliveries(text, sink);
    } else if (text.startsWith('40')) {
      sid = text;
      connected?.();
    } else if (text.startsWith('43')) {
      const id = Number.parseInt(text.slice(2), 10);
      acks.get(id)?.();
      acks.delete(id);
    } else if (text.startsWith('44')) sink.error(text.slice(0, 300));
    // 0 (open) needs no answer over websocket: the CONNECT below is sent as soon as the socket is up.
  };
  sock = await rawConnect({
    host: target.host,
    port: target.port,
    path: `${SOCKETIO_PATH}?EIO=4&transport=websocket`,
    localAddress,
    wantPayload: true,
    handlers: {
      onMessage: (_op, payload) => {
        if (payload) handle(payload.toString());
      },
    },
  });
  send('40');
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('socket.io connect timed out')), 15_000);
    connected = () => {
      clearTimeout(timer);
      resolve();
    };
    if (sid) connected();
  });
  return {
    clientId: sid,
    subscribe(room) {
      const id = ++ackId;
      return new Promise<void>((resolve) => {
        acks.set(id, resolve);
        send(`42${id}["join","${room}"]`);
      });
    },
    publish(room, dataJson) {
      send(`42["chat","${room}",{${STAMP}${dataJson}}]`);
    },
    close() {
      sock?.destroy();
    },
  };
}

/**
 * Socket.IO over HTTP long-polling (`transport=polling`): one GET outstanding, sends queued while a POST is
 * in flight and sent together in the next (engine.io answers 400 to overlapping POSTs, so its own client
 * does the same).
 */
export async function pollingSocketIoClient(target: Target, sink: BayeuxSink): Promise<ChatClient> {
  const agent = new Agent({ keepAlive: true, maxSockets: 2 });
  let closed = false;
  let sid = '';
  let ackId = 0;
  const acks = new Map<number, () => void>();
  let connected: (() => void) | null = null;
  let queue: string[] = [];
  let posting = false;
  const http = (method: 'GET' | 'POST', body?: string): Promise<string> =>
    new Promise((resolve, reject) => {
      const q = sid ? `&sid=${sid}` : '';
      const req = request(
        {
          host: target.host,
          port: target.port,
          path: `${SOCKETIO_PATH}?EIO=4&transport=polling${q}`,
          method,
          agent,
          headers: body === undefined ? {} : { 'content-type': 'text/plain;charset=UTF-8' },
        },
        (res) => {
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
  const flush = (): void => {
    if (posting || queue.length === 0 || closed) return;
    posting = true;
    const body = queue.join(SEP);
    queue = [];
    http('POST', body).then(
      () => {
        posting = false;
        flush();
      },
      (err: Error) => {
        posting = false;
        if (!closed) sink.error(err.message);
      },
    );
  };
  const send = (packet: string): void => {
    queue.push(packet);
    flush();
  };
  const handle = (packet: string): void => {
    if (packet === '2') send('3');
    else if (packet.startsWith('42')) scanDeliveries(packet, sink);
    else if (packet.startsWith('40')) connected?.();
    else if (packet.startsWith('43')) {
      const id = Number.parseInt(packet.slice(2), 10);
      acks.get(id)?.();
      acks.delete(id);
    } else if (packet.startsWith('44') || packet === '1') sink.error(packet.slice(0, 300));
  };
  const open = await http('GET');
  if (!open.startsWith('0{')) throw new Error(`socket.io open failed: ${open.slice(0, 200)}`);
  sid = (JSON.parse(open.slice(1)) as { sid: string }).sid;
  const poll = (): void => {
    if (closed) return;
    http('GET').then(
      (text) => {
        if (text.includes(STAMP)) counters.responses++;
        for (const packet of text.split(SEP)) handle(packet);
        poll();
      },
      (err: Error) => {
        if (!closed) sink.error(err.message);
      },
    );
  };
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('socket.io connect timed out')), 15_000);
    connected = () => {
      clearTimeout(timer);
      resolve();
    };
  });
  send('40');
  poll();
  await ready;
  return {
    clientId: sid,
    subscribe(room) {
      const id = ++ackId;
      return new Promise<void>((resolve) => {
        acks.set(id, resolve);
        send(`42${id}["join","${room}"]`);
      });
    },
    publish(room, dataJson) {
      send(`42["chat","${room}",{${STAMP}${dataJson}}]`);
    },
    close() {
      closed = true;
      agent.destroy();
    },
  };
}
