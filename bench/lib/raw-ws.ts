// A lean raw-TCP WebSocket client for the load generators: a hand-made RFC 6455 handshake and frame codec,
// so the generator costs little and is byte-for-byte the same against every server under test.
import { createHash, randomBytes, randomFillSync } from 'node:crypto';
import { connect, type Socket } from 'node:net';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export const OP = { cont: 0, text: 1, binary: 2, close: 8, ping: 9, pong: 10 } as const;

// Mask keys come from a pooled random buffer: RFC 6455 5.3 wants unpredictable keys, and one crypto call
// per 4 KiB of keys keeps the generator cheap.
const maskPool = Buffer.allocUnsafe(4096);
let maskOffset = maskPool.length;
function nextMask(): Buffer {
  if (maskOffset + 4 > maskPool.length) {
    randomFillSync(maskPool);
    maskOffset = 0;
  }
  const m = maskPool.subarray(maskOffset, maskOffset + 4);
  maskOffset += 4;
  return m;
}

/** A complete masked client frame (RFC 6455 5.2, client-to-server frames are always masked). */
export function maskedFrame(opcode: number, payload: Buffer): Buffer {
  const len = payload.length;
  const head = len < 126 ? 2 : len < 65536 ? 4 : 10;
  const out = Buffer.allocUnsafe(head + 4 + len);
  out[0] = 0x80 | opcode;
  if (len < 126) out[1] = 0x80 | len;
  else if (len < 65536) {
    out[1] = 0x80 | 126;
    out.writeUInt16BE(len, 2);
  } else {
    out[1] = 0x80 | 127;
    out.writeUInt32BE(0, 2);
    out.writeUInt32BE(len, 6);
  }
  const mask = nextMask();
  mask.copy(out, head);
  const base = head + 4;
  for (let i = 0; i < len; i++) out[base + i] = (payload[i] as number) ^ (mask[i & 3] as number);
  return out;
}

export interface RawWsHandlers {
  /** A complete message. `payload` is only materialised when `wantPayload` is set. */
  onMessage(opcode: number, payload: Buffer | null): void;
  onClose?(): void;
}

/**
 * One client connection. Parses unmasked server frames incrementally; answers pings; reassembles
 * fragmented messages. Hot path: a header walk over each chunk with no allocation when payloads
 * are not wanted.
 */
export class RawWs {
  readonly socket: Socket;
  private pending: Buffer | null = null;
  private fragments: Buffer[] = [];
  private fragOpcode = 0;
  private readonly wantPayload: boolean;
  private readonly handlers: RawWsHandlers;

  constructor(socket: Socket, head: Buffer, handlers: RawWsHandlers, wantPayload: boolean) {
    this.socket = socket;
    this.handlers = handlers;
    this.wantPayload = wantPayload;
    socket.on('data', (chunk: Buffer) => this.feed(chunk));
    socket.on('close', () => handlers.onClose?.());
    if (head.length > 0) this.feed(head);
  }

  send(opcode: number, payload: Buffer): boolean {
    return this.socket.write(maskedFrame(opcode, payload));
  }

  /** Writes already-framed bytes (pre-masked frames reused across sends). */
  write(bytes: Buffer): boolean {
    return this.socket.write(bytes);
  }

  /** Drops the connection with a TCP RST: no TIME_WAIT left behind on the generator's ports. */
  destroy(): void {
    if (!this.socket.destroyed) this.socket.resetAndDestroy();
  }

  private feed(chunk: Buffer): void {
    let buf = chunk;
    if (this.pending) {
      buf = Buffer.concat([this.pending, chunk]);
      this.pending = null;
    }
    let off = 0;
    const end = buf.length;
    while (end - off >= 2) {
      const b0 = buf[off] as number;
      const b1 = buf[off + 1] as number;
      let len = b1 & 0x7f;
      let hdr = 2;
      if (len === 126) {
        if (end - off < 4) break;
        len = buf.readUInt16BE(off + 2);
        hdr = 4;
      } else if (len === 127) {
        if (end - off < 10) break;
        len = buf.readUInt32BE(off + 2) * 2 ** 32 + buf.readUInt32BE(off + 6);
        hdr = 10;
      }
      if (b1 & 0x80) hdr += 4; // a server must not mask (RFC 6455 5.1), tolerated here
      if (end - off < hdr + len) break;
      const opcode = b0 & 0x0f;
      const fin = (b0 & 0x80) !== 0;
      const start = off + hdr;
      off = start + len;
      if (opcode >= 8) {
        this.control(opcode, buf.subarray(start, start + len));
        continue;
      }
      if (opcode !== OP.cont && fin) {
        this.handlers.onMessage(opcode, this.wantPayload ? buf.subarray(start, start + len) : null);
        continue;
      }
      if (opcode !== OP.cont) this.fragOpcode = opcode;
      this.fragments.push(Buffer.from(buf.subarray(start, start + len)));
      if (fin) {
        const whole = Buffer.concat(this.fragments);
        this.fragments = [];
        this.handlers.onMessage(this.fragOpcode, this.wantPayload ? whole : null);
      }
    }
    if (off < end) this.pending = Buffer.from(buf.subarray(off));
  }

  private control(opcode: number, payload: Buffer): void {
    if (opcode === OP.ping) this.send(OP.pong, Buffer.from(payload));
    else if (opcode === OP.close) this.socket.end();
  }
}

export interface RawConnectOptions {
  host: string;
  port: number;
  path: string;
  localAddress?: string;
  wantPayload: boolean;
  handlers: RawWsHandlers;
  timeoutMs?: number;
}

/** Opens a TCP connection, performs the RFC 6455 4.1 handshake by hand, checks the accept key. */
export function rawConnect(opts: RawConnectOptions): Promise<RawWs> {
  return new Promise((resolve, reject) => {
    const key = randomBytes(16).toString('base64');
    const expected = createHash('sha1')
      .update(key + GUID)
      .digest('base64');
    const socket = connect({ host: opts.host, port: opts.port, localAddress: opts.localAddress });
    socket.setNoDelay(true);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('handshake timeout'));
    }, opts.timeoutMs ?? 30_000);
    let acc = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      acc = Buffer.concat([acc, chunk]);
      const endIdx = acc.indexOf('\r\n\r\n');
      if (endIdx < 0) return;
      socket.off('data', onData);
      socket.off('error', onError);
      clearTimeout(timer);
      const head = acc.subarray(0, endIdx).toString('latin1');
      const accept = /\r\nsec-websocket-accept:\s*(\S+)/i.exec(head)?.[1];
      if (!head.startsWith('HTTP/1.1 101') || accept !== expected) {
        socket.destroy();
        reject(new Error(`handshake refused: ${head.split('\r\n')[0]}`));
        return;
      }
      socket.on('error', () => {
        // Resets during teardown are expected; `close` reports the end.
      });
      resolve(new RawWs(socket, acc.subarray(endIdx + 4), opts.handlers, opts.wantPayload));
    };
    const onError = (err: Error): void => {
      clearTimeout(timer);
      reject(err);
    };
    socket.on('data', onData);
    socket.on('error', onError);
    socket.write(
      `GET ${opts.path} HTTP/1.1\r\nHost: ${opts.host}:${opts.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
  });
}

/**
 * Opens `count` connections with at most `concurrency` handshakes in flight, spreading source addresses
 * over 127.0.0.2..127.0.0.(1+spread) so 10,000 sockets never exhaust one address's ephemeral ports.
 */
export async function openMany(
  count: number,
  make: (i: number, localAddress: string) => Promise<RawWs>,
  concurrency = 256,
  spread = 8,
): Promise<RawWs[]> {
  const out: RawWs[] = new Array(count);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      out[i] = await make(i, `127.0.0.${2 + (i % spread)}`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return out;
}
