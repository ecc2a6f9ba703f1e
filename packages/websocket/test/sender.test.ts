// permessage-deflate behind the connection's Sender (sender.ts, WS-CORE's): the threshold decides per
// message, crossed by one byte, and RSV1 marks exactly the compressed messages (RFC 7692 6).
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { PerMessageDeflate } from '../src/deflate/codec.js';
import { Sender } from '../src/sender.js';

const created: PerMessageDeflate[] = [];
afterEach(() => {
  for (const pmd of created.splice(0)) pmd.cleanup();
});

interface Frame {
  rsv1: boolean;
  opcode: number;
  payload: Buffer;
}

/** Parses unmasked server frames (RFC 6455 5.2) from the bytes the Sender wrote. */
function parseFrames(bytes: Buffer): Frame[] {
  const frames: Frame[] = [];
  let i = 0;
  while (i < bytes.length) {
    const b0 = bytes[i]!;
    let len = bytes[i + 1]! & 0x7f;
    i += 2;
    if (len === 126) {
      len = bytes.readUInt16BE(i);
      i += 2;
    } else if (len === 127) {
      len = Number(bytes.readBigUInt64BE(i));
      i += 8;
    }
    frames.push({ rsv1: (b0 & 0x40) !== 0, opcode: b0 & 0x0f, payload: bytes.subarray(i, i + len) });
    i += len;
  }
  return frames;
}

function decompress(pmd: PerMessageDeflate, data: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    pmd.decompress(data, true, (err, result) => (err ? reject(err) : resolve(result!))),
  );
}

describe('Sender with PerMessageDeflate', () => {
  for (const threshold of [1024, 10, 0]) {
    it(`threshold ${threshold}: ${threshold - 1} bytes go uncompressed, ${threshold} compressed, in order`, async () => {
      const server = new PerMessageDeflate({ threshold }, true, 1 << 20);
      const client = new PerMessageDeflate({}, false, 1 << 20);
      client.acceptResponse([server.accept([client.offer()])]);
      created.push(server, client);
      const socket = new PassThrough();
      const written: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => written.push(chunk));
      const sender = new Sender(socket, false, server);

      const below = 'a'.repeat(Math.max(0, threshold - 1));
      const at = 'b'.repeat(threshold);
      const sent = [below, at, below, at];
      await new Promise<void>((resolve, reject) => {
        let pending = sent.length;
        for (const text of sent) {
          sender.sendMessage(text, false, (err) => {
            if (err) reject(err);
            else if (--pending === 0) resolve();
          });
        }
      });
      const frames = parseFrames(Buffer.concat(written));
      expect(frames.map((f) => f.rsv1)).toEqual(
        threshold === 0 ? [true, true, true, true] : [false, true, false, true],
      );
      const received: string[] = [];
      for (const f of frames) {
        expect(f.opcode).toBe(1);
        received.push(f.rsv1 ? (await decompress(client, f.payload)).toString() : f.payload.toString());
      }
      expect(received).toEqual(sent);
    });
  }
});
