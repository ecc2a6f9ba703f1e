// What an idle connection holds (bench/README.md, heap per idle connection): no frame parser, output queue
// or flow control until they are needed, and one listener per socket event. Then the behaviours that lazy
// allocation must not lose: the first bytes are parsed, the first send goes out, a peer's FIN ends our side.
import { once } from 'node:events';
import type net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeFrame, OPCODE } from '../src/frame.js';
import type { WebSocketServer } from '../src/server.js';
import type { WebSocket } from '../src/websocket.js';
import { rawClient, startServer, UPGRADE_REQUEST, until } from './helpers.js';

type Internals = { _receiver: unknown; _sender: unknown; _flow: unknown; _socket: net.Socket };
const internals = (ws: WebSocket): Internals => ws as unknown as Internals;

/** A masked client frame (RFC 6455 5.3: every client frame is masked). */
function clientFrame(opcode: number, payload: Buffer): Buffer {
  return encodeFrame(opcode, payload, { mask: true, maskKey: Buffer.from([1, 2, 3, 4]) });
}

let wss: WebSocketServer | null = null;
let peer: net.Socket | null = null;
afterEach(async () => {
  peer?.destroy(); // the raw peer never answers close(): do not wait closeTimeout for it
  peer = null;
  await wss?.close();
  wss = null;
});

async function connect(): Promise<{ ws: WebSocket; client: Awaited<ReturnType<typeof rawClient>> }> {
  const started = await startServer();
  wss = started.wss;
  const accepted = once(started.wss, 'connection') as Promise<[WebSocket]>;
  const client = await rawClient(started.port);
  peer = client.socket;
  client.socket.write(UPGRADE_REQUEST());
  const [ws] = await accepted;
  await until(client.socket, () => client.data().includes('\r\n\r\n'));
  return { ws, client };
}

describe('idle connection footprint', () => {
  it('holds no parser, sender or flow control, and one listener per socket event', async () => {
    const { ws } = await connect();
    const inner = internals(ws);
    expect(inner._receiver).toBeNull();
    expect(inner._sender).toBeNull();
    expect(inner._flow).toBeNull();
    // 'end' is net's own listener only (ours would make it an array); the others are ours alone.
    for (const event of ['data', 'close', 'error', 'drain', 'end']) {
      expect(inner._socket.listenerCount(event), event).toBe(1);
    }
    expect(ws.bufferedAmount).toBe(0);
  });

  it('parses the first bytes and sends the first frame once they come', async () => {
    const { ws, client } = await connect();
    const got = once(ws, 'message') as Promise<[Buffer, boolean]>;
    client.socket.write(clientFrame(OPCODE.TEXT, Buffer.from('hi')));
    const [data, isBinary] = await got;
    expect([data.toString(), isBinary]).toEqual(['hi', false]);
    expect(internals(ws)._receiver).not.toBeNull(); // kept after a read (compact() lets it go)
    expect(internals(ws)._flow).toBeNull(); // a message within one read arms no deadline
    const head = client.data().length;
    ws.send('yo');
    await until(client.socket, () => client.data().length >= head + 4);
    expect(client.data().subarray(head).toString('hex')).toBe('8102796f');
  });

  it('compact() lets the parser go only when it holds nothing; split and fragmented frames still parse', async () => {
    const { ws, client } = await connect();
    const parser = (): unknown => internals(ws)._receiver;
    const next = async (): Promise<string> => String(((await once(ws, 'message')) as [Buffer])[0]);
    // A whole small frame, then nothing held: the parser goes.
    let got = next();
    client.socket.write(clientFrame(OPCODE.TEXT, Buffer.from('small')));
    expect(await got).toBe('small');
    expect(parser()).not.toBeNull();
    ws.compact();
    expect(parser()).toBeNull();
    // A 200-byte frame (16-bit length) cut in two reads: held between them (compact() keeps it), let go after.
    const big = clientFrame(OPCODE.TEXT, Buffer.from('b'.repeat(200)));
    const read = once(internals(ws)._socket, 'data'); // after ours, the first listener: parsed by then
    client.socket.write(big.subarray(0, 50));
    await read;
    const held = parser();
    ws.compact();
    expect(parser()).not.toBeNull(); // part of a frame is held
    expect(parser()).toBe(held);
    got = next();
    client.socket.write(big.subarray(50));
    expect(await got).toBe('b'.repeat(200));
    ws.compact();
    expect(parser()).toBeNull(); // between messages, nothing held: it goes
    // A fragmented text message (RFC 6455 5.4) with a ping between its frames: kept until its last frame.
    const first = encodeFrame(OPCODE.TEXT, Buffer.from('frag'), { fin: false, mask: true });
    client.socket.write(Buffer.concat([first, clientFrame(OPCODE.PING, Buffer.from('p'))]));
    const pong = Buffer.from([0x8a, 0x01, 0x70]); // the server's answer to the ping: unmasked 'p'
    await until(client.socket, () => client.data().includes(pong));
    ws.compact();
    expect(parser()).not.toBeNull(); // a message is in progress
    // compact() from a 'message' listener (during the read) changes nothing either.
    got = next();
    ws.once('message', () => ws.compact());
    client.socket.write(encodeFrame(OPCODE.CONTINUATION, Buffer.from('ment'), { mask: true }));
    expect(await got).toBe('fragment');
    expect(parser()).not.toBeNull();
    ws.compact();
    expect(parser()).toBeNull();
  });

  it('a peer FIN without a close frame ends our side too and reports 1006 (RFC 6455 7.1.1, 7.1.5)', async () => {
    const { ws, client } = await connect();
    const closed = once(ws, 'close') as Promise<[number, Buffer]>;
    client.socket.end();
    await client.closed; // our side ended the TCP connection as well
    const [code] = await closed;
    expect(code).toBe(1006);
    expect(ws.readyState).toBe(3);
  });

  it('bytes after a failure are not parsed by a fresh parser: the failure code stays', async () => {
    const { ws, client } = await connect();
    const failed = new Promise<string>((resolve) =>
      ws.on('error', (e: Error & { code?: string }) => resolve(e.code ?? '')),
    );
    // Not events.once: it rejects on the 'error' this failure emits first.
    const closed = new Promise<number>((resolve) => ws.once('close', resolve));
    // RFC 6455 5.1: an unmasked client frame fails the connection.
    client.socket.write(encodeFrame(OPCODE.TEXT, Buffer.from('x')));
    expect(await failed).toBe('WS_ERR_EXPECTED_MASK');
    // A valid close frame in a later read, then FIN: the socket is still read, never parsed (a parsed
    // close would replace the 1002 the failure reports with the peer's 1000).
    client.socket.end(clientFrame(OPCODE.CLOSE, Buffer.from([0x03, 0xe8])));
    expect(await closed).toBe(1002);
  });
});
