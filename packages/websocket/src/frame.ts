// RFC 6455 5.2 base framing: a pure encoder (no I/O) used by the sender and by tests to build input.
// Buffer (and process.nextTick on the send path) are imported rather than read from the global: Node
// defines globalThis.Buffer and globalThis.process as accessors, a getter call on every use, even in
// optimized code (~200 instructions per Buffer.allocUnsafe under callgrind).
import { Buffer } from 'node:buffer';
import { randomFillSync } from 'node:crypto';

export const OPCODE = {
  CONTINUATION: 0x0,
  TEXT: 0x1,
  BINARY: 0x2,
  CLOSE: 0x8,
  PING: 0x9,
  PONG: 0xa,
} as const;
export type Opcode = (typeof OPCODE)[keyof typeof OPCODE];

export interface FrameOptions {
  /** FIN bit; default true. */
  fin?: boolean;
  /** RSV1 bit (RFC 7692: "Per-Message Compressed"); default false. */
  rsv1?: boolean;
  /** Mask the payload (RFC 6455 5.3: every client-to-server frame is masked); default false. */
  mask?: boolean;
  /** A fixed 4-byte masking key, for tests only; by default keys come from a crypto random pool. */
  maskKey?: Uint8Array;
}

// RFC 6455 10.3: masking keys must be unpredictable, so they come from crypto. Drawing one randomFillSync per
// frame costs a syscall-sized call each time; a pool of 8 KiB serves 2048 frames per refill.
const MASK_POOL_SIZE = 8192;
const maskPool = Buffer.allocUnsafe(MASK_POOL_SIZE);
let maskPoolOffset = MASK_POOL_SIZE;

/** Writes 4 fresh random key bytes at `target[offset]`. */
export function writeRandomMaskKey(target: Buffer, offset: number): void {
  if (maskPoolOffset === MASK_POOL_SIZE) {
    randomFillSync(maskPool);
    maskPoolOffset = 0;
  }
  target[offset] = maskPool[maskPoolOffset]!;
  target[offset + 1] = maskPool[maskPoolOffset + 1]!;
  target[offset + 2] = maskPool[maskPoolOffset + 2]!;
  target[offset + 3] = maskPool[maskPoolOffset + 3]!;
  maskPoolOffset += 4;
}

/** Size of the frame header for a payload of `length` bytes (RFC 6455 5.2: 7, 7+16 or 7+64 bit lengths). */
export function headerLength(length: number, masked: boolean): number {
  return (length < 126 ? 2 : length < 65536 ? 4 : 10) + (masked ? 4 : 0);
}

/** Writes the header into `target` from offset 0; returns the offset where the mask key or payload starts. */
function writeHeader(
  target: Buffer,
  opcode: number,
  length: number,
  fin: boolean,
  rsv1: boolean,
  masked: boolean,
): number {
  target[0] = (fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode;
  const maskBit = masked ? 0x80 : 0;
  if (length < 126) {
    target[1] = maskBit | length;
    return 2;
  }
  if (length < 65536) {
    target[1] = maskBit | 126;
    target.writeUInt16BE(length, 2);
    return 4;
  }
  // RFC 6455 5.2: 64-bit length, most significant bit 0. JS lengths stay below 2^53.
  target[1] = maskBit | 127;
  target.writeUInt32BE(Math.floor(length / 0x100000000), 2);
  target.writeUInt32BE(length >>> 0, 6);
  return 10;
}

/**
 * XORs `buf[start, end)` in place with the 4-byte key found at `key[keyOffset]`; `phase` is the position of
 * `buf[start]` within the frame payload modulo 4, so a payload can be unmasked in pieces as it arrives.
 */
export function applyMask(
  buf: Uint8Array,
  start: number,
  end: number,
  key: Uint8Array,
  keyOffset: number,
  phase = 0,
): void {
  const k0 = key[keyOffset]!;
  const k1 = key[keyOffset + 1]!;
  const k2 = key[keyOffset + 2]!;
  const k3 = key[keyOffset + 3]!;
  applyMaskBytes(buf, start, end, k0, k1, k2, k3, phase);
}

/** Same as applyMask with the key given as four bytes (the receiver keeps the key in numbers, not a Buffer). */
export function applyMaskBytes(
  buf: Uint8Array,
  start: number,
  end: number,
  k0: number,
  k1: number,
  k2: number,
  k3: number,
  phase: number,
): void {
  let i = start;
  // Align the key to the payload position, then run 4 bytes per step.
  while (i < end && (phase & 3) !== 0) {
    const p = phase & 3;
    buf[i] = buf[i]! ^ (p === 1 ? k1 : p === 2 ? k2 : k3);
    i++;
    phase++;
  }
  const end4 = end - ((end - i) & 3);
  for (; i < end4; i += 4) {
    buf[i] = buf[i]! ^ k0;
    buf[i + 1] = buf[i + 1]! ^ k1;
    buf[i + 2] = buf[i + 2]! ^ k2;
    buf[i + 3] = buf[i + 3]! ^ k3;
  }
  if (i < end) buf[i] = buf[i++]! ^ k0;
  if (i < end) buf[i] = buf[i++]! ^ k1;
  if (i < end) buf[i] = buf[i]! ^ k2;
}

/**
 * Encodes one complete frame (header and payload in a single allocation). A string payload is written as
 * UTF-8 straight into the frame buffer, with no intermediate Buffer.
 */
export function encodeFrame(
  opcode: number,
  payload: string | Uint8Array,
  options: FrameOptions = {},
): Buffer {
  return frame(
    opcode,
    payload,
    options.fin ?? true,
    options.rsv1 ?? false,
    options.mask ?? false,
    options.maskKey,
  );
}

/** encodeFrame with positional arguments: the sender's hot path allocates no options object per frame. */
export function frame(
  opcode: number,
  payload: string | Uint8Array,
  fin: boolean,
  rsv1: boolean,
  masked: boolean,
  maskKey?: Uint8Array,
): Buffer {
  const length = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength;
  const out = Buffer.allocUnsafe(headerLength(length, masked) + length);
  let offset = writeHeader(out, opcode, length, fin, rsv1, masked);
  if (masked) {
    if (maskKey) out.set(maskKey.subarray(0, 4), offset);
    else writeRandomMaskKey(out, offset);
    offset += 4;
  }
  if (typeof payload === 'string') out.write(payload, offset, 'utf8');
  else out.set(payload, offset);
  if (masked) applyMask(out, offset, offset + length, out, offset - 4);
  return out;
}

/**
 * Encodes only the header of an unmasked frame, so a large payload can be written after it without copying
 * (server side; a masked frame needs its payload copied anyway).
 */
export function encodeFrameHeader(
  opcode: number,
  length: number,
  options: { fin?: boolean; rsv1?: boolean } = {},
): Buffer {
  const header = Buffer.allocUnsafe(headerLength(length, false));
  writeHeader(header, opcode, length, options.fin ?? true, options.rsv1 ?? false, false);
  return header;
}
