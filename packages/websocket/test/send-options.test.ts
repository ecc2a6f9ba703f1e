// send(data, { binary }) (websocket.ts): bytes that are already UTF-8 go out as a text frame, unchanged and
// without a decode/re-encode (the echo of a received text message); a string can go out as binary. Checked
// on the wire, over a real socket, byte for byte.
import { once } from 'node:events';
import type net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketError } from '../src/errors.js';
import { encodeFrame, OPCODE } from '../src/frame.js';
import type { WebSocketServer } from '../src/server.js';
import type { WebSocket } from '../src/websocket.js';
import { rawClient, startServer, UPGRADE_REQUEST, until } from './helpers.js';

let wss: WebSocketServer | null = null;
let peer: net.Socket | null = null;
afterEach(async () => {
  peer?.destroy();
  peer = null;
  await wss?.close();
  wss = null;
});

/** An open server-side connection and a raw peer; `frames()` is what the peer got after the 101. */
async function connect(): Promise<{ ws: WebSocket; client: net.Socket; frames: () => Buffer }> {
  const started = await startServer();
  wss = started.wss;
  const accepted = once(started.wss, 'connection') as Promise<[WebSocket]>;
  const raw = await rawClient(started.port);
  peer = raw.socket;
  raw.socket.write(UPGRADE_REQUEST());
  const [ws] = await accepted;
  await until(raw.socket, () => raw.data().includes('\r\n\r\n'));
  const frames = (): Buffer => {
    const all = raw.data();
    return all.subarray(all.indexOf('\r\n\r\n') + 4);
  };
  return { ws, client: raw.socket, frames };
}

const HELLO = Buffer.from('héllo ✓', 'utf8'); // 2- and 3-byte sequences, 10 bytes
const LEN = HELLO.length.toString(16).padStart(2, '0');

describe('send(data, { binary })', () => {
  it('sends UTF-8 bytes as a text frame (opcode 1), the payload unchanged', async () => {
    const { ws, client, frames } = await connect();
    let written: Error | undefined | null = null;
    ws.send(HELLO, { binary: false }, (err) => {
      written = err;
    });
    await until(client, () => frames().length >= 2 + HELLO.length);
    expect(frames().toString('hex')).toBe(`81${LEN}${HELLO.toString('hex')}`);
    expect(written).toBeUndefined();
  });

  it('sends a string as a binary frame (opcode 2) with binary: true', async () => {
    const { ws, client, frames } = await connect();
    ws.send('héllo ✓', { binary: true });
    await until(client, () => frames().length >= 2 + HELLO.length);
    expect(frames().toString('hex')).toBe(`82${LEN}${HELLO.toString('hex')}`);
  });

  it('keeps the defaults without options or with binary undefined', async () => {
    const { ws, client, frames } = await connect();
    ws.send(Buffer.from('a'), {});
    ws.send('b', {});
    await until(client, () => frames().length >= 6);
    expect(frames().toString('hex')).toBe('82016181016' + '2');
  });

  it('refuses invalid UTF-8 as text (RFC 6455 8.1: the peer would fail with 1007) and sends nothing', async () => {
    const { ws, client, frames } = await connect();
    // 0xc3 0x28: a lead byte followed by a non-continuation byte; 0xed 0xa0 0x80: a UTF-16 surrogate.
    for (const bad of [Buffer.from([0xc3, 0x28]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xff])]) {
      let thrown: unknown;
      try {
        ws.send(bad, { binary: false });
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(WebSocketError);
      expect((thrown as WebSocketError).code).toBe('WS_ERR_INVALID_UTF8');
    }
    expect(ws.readyState).toBe(1);
    // The same bytes as binary are fine; they are the first frame the peer sees.
    ws.send(Buffer.from([0xff]), { binary: true });
    await until(client, () => frames().length >= 3);
    expect(frames().toString('hex')).toBe('8201ff');
  });

  it('echoes a received text message as text with the received Buffer', async () => {
    const { ws, client, frames } = await connect();
    ws.on('message', (data, isBinary) => ws.send(data as Buffer, { binary: isBinary }));
    client.write(encodeFrame(OPCODE.TEXT, HELLO, { mask: true, maskKey: Buffer.from([9, 8, 7, 6]) }));
    await until(client, () => frames().length >= 2 + HELLO.length);
    expect(frames().toString('hex')).toBe(`81${LEN}${HELLO.toString('hex')}`);
  });
});
