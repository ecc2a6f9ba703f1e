// The outgoing side of a connection: frames messages, keeps them in order behind permessage-deflate, and
// decides when bytes reach the socket. A connection with nothing waiting writes its first frame of a tick
// at once (a bare socket.write would do no less); what follows in the same tick is coalesced into one write
// on the shared flush tick (a burst of 100 messages costs 2 syscalls, not 100). While the connection
// handles a read (holdForRead .. releaseAfterRead), its frames wait for the end of that read and go out in
// one write then: an echo of every message in a chunk is one write, with no tick scheduled.
// No protocol state lives here; websocket.ts decides what to send.
import { Buffer } from 'node:buffer';
import { nextTick } from 'node:process';
import type { Duplex } from 'node:stream';
import { encodeFrameHeader, frame, OPCODE } from './frame.js';
import type { PreparedFrame } from './prepared-frame.js';

export type SendCallback = (err?: Error) => void;

/** The part of permessage-deflate the sender needs (RFC 7692 7.2.1). */
export interface Compressor {
  readonly threshold: number;
  compress(data: Buffer, fin: boolean, cb: (err: Error | null, result?: Buffer) => void): void;
}

/** Frames at or above this size are written as header + payload without copying the payload, but only
 *  for buffers the sender owns (compressed output, copies): a caller's buffer is written on the next tick
 *  (or later, behind zlib) and the caller may refill it as soon as send() returns. */
const ZERO_COPY_THRESHOLD = 16 * 1024;
/** A tick's frames up to this total are joined into one buffer; above, they go to one corked writev. */
const COALESCE_LIMIT = 64 * 1024;
/** Written after a callback-less write the kernel did not take at once: its callback marks the end. */
const EMPTY = Buffer.alloc(0);

interface Pending {
  data: Buffer;
  opcode: number;
  /** Pre-framed bytes (control frames, broadcast): written as they are. */
  raw: boolean;
  compress: boolean;
  cb: SendCallback | undefined;
}

// One nextTick for every connection that has output this tick, instead of one per connection.
let dirty: Sender[] = [];
let flushScheduled = false;

// Ticks in which frames were written at once, counted so that a connection writes at most one frame
// directly per tick and coalesces the rest (a burst of 100 sends or broadcasts: 2 writes, not 100).
// Exported read-only (an ES live binding) for connections that have no Sender yet (Connection._sharedIn).
export let writeTick = 1;
let writeTickScheduled = false;

function nextWriteTick(): void {
  writeTick++;
  writeTickScheduled = false;
}

/**
 * Writes a complete frame at once for a connection that has sent nothing, so has no Sender and nothing
 * waiting (broadcast to idle connections: no Sender allocated for them); the caller records writeTick as
 * that connection's tick, as Sender.writtenIn. The closing window as in writeNow: the frame is dropped.
 * Returns whether the socket kept none of it; if it kept some, the connection's new Sender takes over with
 * keptAtOnce().
 */
export function writeSharedAtOnce(socket: Duplex, frame: Buffer): boolean {
  if (!writeTickScheduled) {
    writeTickScheduled = true;
    process.nextTick(nextWriteTick);
  }
  if (!socket.writable) return true;
  socket.write(frame);
  return socket.writableLength === 0;
}

function flushAll(): void {
  const senders = dirty;
  dirty = [];
  flushScheduled = false;
  for (let i = 0; i < senders.length; i++) senders[i]!.flush();
}

function callAll(callbacks: SendCallback[], err?: Error | null): void {
  for (let i = 0; i < callbacks.length; i++) callbacks[i]!(err ?? undefined);
}

/** Told when bufferedAmount returned to 0 after being above 0 (the connection emits 'drain'). */
export interface DrainListener {
  _senderDrained(): void;
}

export class Sender {
  private readonly socket: Duplex;
  private readonly drainListener: DrainListener | null;
  private readonly mask: boolean;
  private compressor: Compressor | null;

  /** Frames waiting for this tick's write: the first one alone (the common case needs no array). */
  private first: Buffer | null = null;
  private rest: Buffer[] | null = null;
  private outBytes = 0;
  private outCallbacks: SendCallback[] | null = null;
  /** Messages waiting behind a compression in progress (order must be kept, RFC 7692 6.1). */
  private queue: Pending[] | null = null;
  private queuedBytes = 0;
  private compressing = false;
  private endRequested = false;
  /** bufferedAmount went above 0 since the last 'drain': the next return to 0 is reported. */
  private drainPending = false;
  /** The tick (writeTick) of this connection's last frame written at once. */
  private writtenIn = 0;
  /** A read is being handled: frames wait for its end (releaseAfterRead), not for the flush tick. */
  private held = false;
  /** A read is being handled whose first frame may still be written at once; the rest are held. */
  private holdAfterFirst = false;

  constructor(
    socket: Duplex,
    mask: boolean,
    compressor: Compressor | null,
    drainListener: DrainListener | null = null,
    writtenIn = 0,
  ) {
    this.socket = socket;
    this.mask = mask;
    this.compressor = compressor;
    this.drainListener = drainListener;
    this.writtenIn = writtenIn;
  }

  /**
   * The socket kept part of a frame written at once before this Sender existed (writeSharedAtOnce):
   * bufferedAmount is above 0 until the socket has written it, then 'drain' follows (as after sendShared).
   */
  keptAtOnce(): void {
    this.drainPending = true;
    this.socket.write(EMPTY, this.#completion());
  }

  /**
   * Reports 'drain' if bufferedAmount is back to 0 after being above 0. Called after each flush's write
   * completes, when the compression queue empties, and on the socket's own 'drain': bytes can wait in
   * any of the three without the socket ever pushing back.
   */
  checkDrained(): void {
    if (!this.drainPending || this.bufferedAmount !== 0) return;
    this.drainPending = false;
    this.drainListener?._senderDrained();
  }

  /** Bytes accepted by send() and not yet handed to the kernel. */
  get bufferedAmount(): number {
    return this.outBytes + this.queuedBytes + this.socket.writableLength;
  }

  /** Sends a data message. `data` is the UTF-8 bytes for text, or the binary payload. */
  sendMessage(data: Buffer | string, binary: boolean, cb?: SendCallback): void {
    const opcode = binary ? OPCODE.BINARY : OPCODE.TEXT;
    const compressor = this.compressor;
    if (compressor !== null) {
      // A copy: zlib reads its input later on the thread pool, and queued messages wait for it, while
      // the caller may reuse its buffer once send() returns.
      const bytes = Buffer.from(data);
      this.enqueue({ data: bytes, opcode, raw: false, compress: bytes.length >= compressor.threshold, cb });
      return;
    }
    // Not owned: frame() copies the payload into the frame now.
    this.writeFrame(opcode, data, false, false, cb);
  }

  /** Sends a control frame (close, ping, pong) built here. */
  sendControl(opcode: number, payload: Buffer, cb?: SendCallback): void {
    const bytes = frame(opcode, payload, true, false, this.mask);
    if (this.queue !== null) this.enqueue({ data: bytes, opcode, raw: true, compress: false, cb });
    else this.push(bytes, cb);
  }

  /** Sends bytes that are already a complete frame (broadcast encodes once for many connections). */
  sendRaw(frame: Buffer, cb?: SendCallback): void {
    if (this.queue !== null) this.enqueue({ data: frame, opcode: 0, raw: true, compress: false, cb });
    else this.push(frame, cb);
  }

  /**
   * Sends a complete frame shared by many connections (broadcast): the same Buffer for all of them, never
   * copied, through the path every frame takes (written at once when nothing of this connection's waits,
   * else queued behind what does). Returns whether it was written at once and the socket kept none of it
   * (bufferedAmount 0), so the caller can skip its flow-control check.
   */
  sendShared(frame: Buffer): boolean {
    // This runs once per connection per broadcast, mostly before V8 optimises it (bench/README.md,
    // broadcast instructions per delivery), so each property read and getter call counts. drainPending
    // stands for everything of ours that may wait: it is set whenever a frame is queued (push, enqueue) or
    // a write leaves bytes in the socket, and cleared only once bufferedAmount is 0 again (checkDrained).
    // Clear, it means queue and first are empty and the socket holds nothing we wrote: one field instead
    // of those two and the socket's writableLength getter. When it is set, sendRaw takes the usual path,
    // which looks at each of them.
    if (this.drainPending || this.held || this.writtenIn === writeTick) {
      this.sendRaw(frame);
      return false;
    }
    this.writtenIn = writeTick;
    if (!writeTickScheduled) {
      writeTickScheduled = true;
      nextTick(nextWriteTick);
    }
    const socket = this.socket;
    // writeSharedAtOnce inlined (a call less per connection). The closing window (see writeNow): dropped.
    if (!socket.writable) return true;
    socket.write(frame);
    if (socket.writableLength === 0) return true;
    this.drainPending = true;
    // Nobody's callback marks the end of this write: an empty write's does (see flush()).
    socket.write(EMPTY, this.#completion());
    return false;
  }

  /**
   * Sends a message framed once for many connections (PreparedFrame): header and payload pieces are
   * written as they are. A client (which must mask, RFC 6455 5.3) or a message permessage-deflate would
   * compress gets the payload through sendMessage instead (one copy, as every other send).
   */
  sendPrepared(prepared: PreparedFrame, cb?: SendCallback): void {
    const compressor = this.compressor;
    if (this.mask || (compressor !== null && prepared.length >= compressor.threshold)) {
      this.sendMessage(prepared.concat(), prepared.binary, cb);
      return;
    }
    const { payload } = prepared;
    if (prepared.length < ZERO_COPY_THRESHOLD) {
      // Small: header and payload joined once for all connections (PreparedFrame.joined), one write each
      // (a fan-out to a crowd sends the same small frame to every socket, issue 12).
      const joined = prepared.joined();
      if (this.queue === null && this.first === null && this.canWriteNow()) this.writeNow(joined, cb);
      else this.sendRaw(joined, cb);
      return;
    }
    if (this.queue === null && this.first === null && this.canWriteNow()) {
      // The header and the shared pieces in one corked writev, as the first frame of a tick is written.
      this.writeNow(prepared.header, cb, payload);
      return;
    }
    this.sendRaw(prepared.header, payload.length === 0 ? cb : undefined);
    for (let i = 0; i < payload.length; i++) {
      this.sendRaw(payload[i] as Buffer, i === payload.length - 1 ? cb : undefined);
    }
  }

  /** Ends the socket once everything accepted so far is written (close handshake, RFC 6455 7.1.1). */
  end(): void {
    if (this.queue !== null) {
      this.endRequested = true;
      return;
    }
    this.flush();
    this.socket.end();
  }

  /** Fails every pending callback; used when the socket is gone. */
  abort(err: Error): void {
    const callbacks: SendCallback[] = this.outCallbacks ?? [];
    if (this.queue !== null) for (const p of this.queue) if (p.cb) callbacks.push(p.cb);
    this.first = null;
    this.rest = null;
    this.outBytes = 0;
    this.outCallbacks = null;
    this.queue = null;
    this.queuedBytes = 0;
    this.compressor = null;
    this.drainPending = false;
    if (callbacks.length > 0) nextTick(callAll, callbacks, err);
  }

  /** `owned`: `data` is the sender's own buffer (nobody else writes to it), so it may be queued as is. */
  private writeFrame(
    opcode: number,
    data: Buffer | string,
    rsv1: boolean,
    owned: boolean,
    cb: SendCallback | undefined,
  ): void {
    if (owned && !this.mask && typeof data !== 'string' && data.length >= ZERO_COPY_THRESHOLD) {
      this.push(encodeFrameHeader(opcode, data.length, { rsv1 }), undefined);
      this.push(data, cb);
      return;
    }
    this.push(frame(opcode, data, true, rsv1, this.mask), cb);
  }

  /**
   * The connection handles a read: frames wait for its end (one write for all the replies it causes).
   * `firstAtOnce`: the first of them may be written at once, as any first frame of a tick (push).
   */
  holdForRead(firstAtOnce = false): void {
    if (firstAtOnce) this.holdAfterFirst = true;
    else this.held = true;
  }

  /** The read is handled: what it sent goes out now, in one write. */
  releaseAfterRead(): void {
    this.held = false;
    this.holdAfterFirst = false;
    this.flush();
  }

  private push(bytes: Buffer, cb: SendCallback | undefined): void {
    if (this.first === null) {
      if (this.canWriteNow()) {
        this.writeNow(bytes, cb);
        // The read's later frames wait for its end.
        if (this.holdAfterFirst) this.held = true;
        return;
      }
      this.first = bytes;
      if (this.holdAfterFirst) this.held = true;
      if (!this.held) {
        dirty.push(this);
        if (!flushScheduled) {
          flushScheduled = true;
          nextTick(flushAll);
        }
      }
    } else {
      (this.rest ??= []).push(bytes);
    }
    this.outBytes += bytes.length;
    this.drainPending = true;
    if (cb !== undefined) (this.outCallbacks ??= []).push(cb);
  }

  /** Nothing of this connection's waits (the caller checked first/queue), no read is being handled, and
   *  no frame was written at once this tick yet. */
  private canWriteNow(): boolean {
    return !this.held && this.writtenIn !== writeTick && this.socket.writableLength === 0;
  }

  /**
   * The first frame of a connection with nothing waiting (`bytes`, then the pieces of `more` if any),
   * written before send() returns. When the kernel takes it all, bufferedAmount never rises above 0 and no
   * 'drain' follows (none is owed: nothing was buffered); otherwise 'drain' comes once the socket has
   * written it, as after a flush. Returns whether the socket kept none of it.
   */
  private writeNow(
    bytes: Buffer,
    cb: SendCallback | undefined,
    more: readonly Buffer[] | null = null,
  ): boolean {
    this.writtenIn = writeTick;
    if (!writeTickScheduled) {
      writeTickScheduled = true;
      nextTick(nextWriteTick);
    }
    const socket = this.socket;
    // The closing window: the socket ended or was destroyed, and its 'close' (which closes the connection)
    // has not come yet. A write now would be an ERR_STREAM_WRITE_AFTER_END or ERR_STREAM_DESTROYED error on
    // the socket; the frame is dropped instead, as flush() drops a tick's frames then.
    if (!socket.writable) {
      if (cb !== undefined) nextTick(cb, new Error('the socket is closed'));
      return true;
    }
    const completion = cb === undefined ? undefined : this.#completion([cb]);
    if (more === null || more.length === 0) {
      socket.write(bytes, completion);
    } else {
      socket.cork();
      socket.write(bytes);
      for (let i = 0; i < more.length - 1; i++) socket.write(more[i]!);
      socket.write(more[more.length - 1]!, completion);
      socket.uncork();
    }
    if (socket.writableLength === 0) return true;
    this.drainPending = true;
    // Nobody's callback marks the end of this write: an empty write's does (see flush()).
    if (completion === undefined) socket.write(EMPTY, this.#completion());
    return false;
  }

  /** Writes this tick's frames now: one write for small batches, one corked writev for large ones. */
  flush(): void {
    const first = this.first;
    if (first === null) return;
    const rest = this.rest;
    const callbacks = this.outCallbacks;
    this.first = null;
    this.rest = null;
    this.outCallbacks = null;
    const total = this.outBytes;
    this.outBytes = 0;
    const socket = this.socket;
    if (socket.destroyed || !socket.writable) {
      if (callbacks !== null) nextTick(callAll, callbacks, new Error('the socket is closed'));
      return;
    }
    if (rest === null || total <= COALESCE_LIMIT) {
      let bytes = first;
      if (rest !== null) {
        bytes = Buffer.allocUnsafe(total);
        bytes.set(first, 0);
        let offset = first.length;
        for (let i = 0; i < rest.length; i++) {
          bytes.set(rest[i]!, offset);
          offset += rest[i]!.length;
        }
      }
      if (callbacks === null && socket.writableLength === 0) {
        // Nobody waits for this write: no completion callback (a closure per connection per flush, and
        // Node's after-write tick per socket, were most of a broadcast's cost). When the kernel took it
        // all, bufferedAmount is 0 now; otherwise an empty write after it reports when it is.
        socket.write(bytes);
        if (socket.writableLength === 0) this.checkDrained();
        else socket.write(EMPTY, this.#completion());
        return;
      }
      socket.write(bytes, this.#completion(callbacks));
    } else {
      socket.cork();
      socket.write(first);
      for (let i = 0; i < rest.length - 1; i++) socket.write(rest[i]!);
      socket.write(rest[rest.length - 1]!, this.#completion(callbacks));
      socket.uncork();
    }
  }

  /** A write's completion: the callbacks waiting for it, then a re-check of bufferedAmount (the socket
   *  emits 'drain' only after it pushed back, so a write that waited in it is reported here). */
  #completion(callbacks: SendCallback[] | null = null): (err?: Error | null) => void {
    return (err) => {
      if (callbacks !== null) callAll(callbacks, err);
      if (!err) this.checkDrained();
    };
  }

  private enqueue(p: Pending): void {
    this.queuedBytes += p.data.length;
    this.drainPending = true;
    (this.queue ??= []).push(p);
    if (!this.compressing) this.drainQueue();
  }

  /** Runs queued messages in order; a compression pauses the queue until zlib answers. */
  private drainQueue(): void {
    const queue = this.queue;
    while (queue !== null && queue.length > 0 && !this.compressing) {
      const p = queue.shift()!;
      this.queuedBytes -= p.data.length;
      if (p.raw) {
        this.push(p.data, p.cb);
      } else if (!p.compress || this.compressor === null) {
        this.writeFrame(p.opcode, p.data, false, true, p.cb);
      } else {
        this.compressing = true;
        // Still counted in bufferedAmount while zlib works.
        this.queuedBytes += p.data.length;
        this.compressor.compress(p.data, true, (err, result) => {
          this.compressing = false;
          this.queuedBytes -= p.data.length;
          if (this.queue === null) {
            // Aborted meanwhile (the connection closed): this message was already out of the queue.
            p.cb?.(new Error('the connection closed before the data was sent'));
            return;
          }
          if (err || result === undefined) {
            p.cb?.(err ?? new Error('compression failed'));
          } else {
            // RFC 7692 6: RSV1 marks the first (here the only) frame of a compressed message.
            this.writeFrame(p.opcode, result, true, true, p.cb);
          }
          this.drainQueue();
        });
      }
    }
    if (queue !== null && queue.length === 0 && !this.compressing) {
      this.queue = null;
      if (this.endRequested) {
        this.endRequested = false;
        this.flush();
        this.socket.end();
      }
      // A failed compression may leave nothing to write: nothing else would report the return to 0.
      this.checkDrained();
    }
  }
}
