// RFC 7692 permessage-deflate: the per-connection codec. Its settings are in params.ts, the negotiation of
// them in negotiation.ts (wired into the opening handshake by handshake.ts), the release of idle streams in
// idle.ts, and the limiter bounding zlib jobs across the process in zlib-limiter.ts.
//
// Memory is the point of most choices here (ws pays ~250 KB per connection with context takeover):
// - zlib streams are created lazily, on the first message that is actually compressed or decompressed;
// - streams idle for `idleTimeout` are released by one shared sweep timer, not a timer per connection.
//   With context takeover the last bytes of the context are kept (history.ts) and a recreated
//   stream gets them as its preset dictionary: a compressor keeps DICTIONARY_TAIL bytes of what it
//   compressed (the end of the peer's inflate window, so its back-references stay valid); an inflater keeps
//   its whole window (2^windowBits bytes at most; a peer may refer that far back). An idle connection then
//   holds at most those bytes instead of two zlib states (~55 KB inflate, ~190 KB deflate);
// - memLevel defaults to 4 (see DEFAULT_MEM_LEVEL).
//
// Measured (Node 20, 3.6 KB JSON messages, one each way): a compressed connection in use costs about the
// same as ws (~250 KB RSS, mostly the 15-bit deflate state); once idle and released, ~10 KB. Recreating a
// released stream costs ~0.25 ms of CPU, paid on the first message after an idle period.

import { Buffer } from 'node:buffer';
import zlib from 'node:zlib';
import { WebSocketError } from '../errors.js';
import type { ExtensionParams } from '../extension-header.js';
import type { Inflater } from '../receiver.js';
import type { Compressor } from '../sender.js';
import { HistoryRing } from './history.js';
import { type IdleSweeper, type Sweepable, sweeperFor } from './idle.js';
import { clientAccept, offerParams, serverAccept } from './negotiation.js';
import {
  checkedOptions,
  DEFAULT_CONCURRENCY_LIMIT,
  DEFAULT_IDLE_TIMEOUT,
  DEFAULT_MEM_LEVEL,
  DEFAULT_THRESHOLD,
  DICTIONARY_TAIL,
  intern,
  type Negotiated,
  NOT_NEGOTIATED,
  type PerMessageDeflateOptions,
} from './params.js';
import { sharedZlibLimiter, type ZlibLimiter } from './zlib-limiter.js';

/** A negotiated permessage-deflate instance, as the connection uses it (PerMessageDeflate is one). */
export interface NegotiatedDeflate extends Inflater, Compressor {
  cleanup(): void;
}

export type DeflateCallback = (err: Error | null, result?: Buffer) => void;

// RFC 7692 7.2.1: a compressed message ends with an empty stored block 00 00 ff ff, which the sender removes
// and the receiver appends back (7.2.2).
const TRAILER = Buffer.from([0x00, 0x00, 0xff, 0xff]);

interface Job {
  data: Buffer;
  fin: boolean;
  cb: DeflateCallback;
  settled: boolean;
  release: (() => void) | null;
}

type ZStream = zlib.DeflateRaw | zlib.InflateRaw;
const kSide = Symbol('pushwire.zlibSide');
type OwnedStream = ZStream & { [kSide]: ZlibSide };

/** One direction of a connection: its zlib stream, its serial job queue, its idle state. */
class ZlibSide implements Sweepable {
  readonly deflate: boolean;
  readonly owner: PerMessageDeflate;
  stream: OwnedStream | null = null;
  queue: Job[] = [];
  active: Job | null = null;
  busy = false;
  chunks: Buffer[] = [];
  length = 0;
  /** Inflated bytes of the current message, across its frames (the maxPayload cap is per message). */
  messageLength = 0;
  midMessage = false;
  /** Set on use; the sweep releases sides it finds idle and untouched twice in a row. */
  touched = false;
  /** The context's last bytes while the stream lives, when context takeover is on (see the header). */
  history: HistoryRing | null = null;
  /** The same bytes while the stream is released: the next stream's preset dictionary. */
  dictionary: Buffer | null = null;

  constructor(owner: PerMessageDeflate, deflate: boolean) {
    this.owner = owner;
    this.deflate = deflate;
  }

  releaseIdle(): void {
    this.owner.releaseIdle(this);
  }
}

// Module-level listeners: a stream finds its side through kSide, so a connection allocates no closures.
function onData(this: OwnedStream, chunk: Buffer): void {
  const side = this[kSide];
  if (!side.deflate) {
    side.messageLength += chunk.length;
    const max = side.owner.maxPayload;
    if (max > 0 && side.messageLength > max) {
      // Stop inflating at once (zip bombs): destroying the stream ends zlib's processing loop.
      side.owner.fail(
        side,
        new WebSocketError('WS_ERR_MESSAGE_TOO_BIG', `Inflated message exceeds maxPayload (${max} bytes)`),
      );
      return;
    }
    side.history?.push(chunk);
  }
  side.chunks.push(chunk);
  side.length += chunk.length;
}

function onError(this: OwnedStream, err: Error): void {
  const side = this[kSide];
  side.owner.fail(
    side,
    side.deflate
      ? err
      : new WebSocketError('WS_ERR_INFLATE_FAILED', `Invalid compressed data: ${err.message}`),
  );
}

export class PerMessageDeflate {
  static readonly extensionName = 'permessage-deflate' as const;

  readonly threshold: number;
  readonly maxPayload: number;
  readonly isServer: boolean;
  #params: ExtensionParams | null = null;
  #negotiated: Readonly<Negotiated> = NOT_NEGOTIATED;
  readonly #options: Readonly<PerMessageDeflateOptions>;
  readonly #limiter: ZlibLimiter;
  readonly #sweeper: IdleSweeper | null;
  // Created on first use: an instance that never compresses costs a few fields, not two sides.
  #out: ZlibSide | null = null;
  #in: ZlibSide | null = null;
  #closed = false;

  /** `maxPayload` caps the inflated size of one message (0: no cap). */
  constructor(options: PerMessageDeflateOptions | undefined, isServer: boolean, maxPayload: number) {
    this.#options = checkedOptions(options);
    this.isServer = isServer;
    this.maxPayload = maxPayload;
    this.threshold = this.#options.threshold ?? DEFAULT_THRESHOLD;
    this.#limiter = sharedZlibLimiter(this.#options.concurrencyLimit ?? DEFAULT_CONCURRENCY_LIMIT);
    const idle = this.#options.idleTimeout ?? DEFAULT_IDLE_TIMEOUT;
    this.#sweeper = idle > 0 ? sweeperFor(idle) : null;
  }

  /** The negotiated params (server: our response; client: the server's response), once accepted. */
  get params(): ExtensionParams | null {
    return this.#params;
  }

  /** The effective settings per direction (for diagnostics and tests). */
  get negotiated(): Readonly<Negotiated> {
    return this.#negotiated;
  }

  /** Live zlib streams (0..2): they are created lazily and released when idle. For tests and diagnostics. */
  get zlibStreams(): number {
    return (this.#out?.stream ? 1 : 0) + (this.#in?.stream ? 1 : 0);
  }

  /**
   * Equal for instances whose compressor output depends on the input alone: no context takeover and the
   * same zlib settings, so one message compresses to the same bytes on each of them and a broadcast can
   * compress it once per key (DESIGN.md "Encode once"). null with context takeover (each connection's
   * output depends on its history).
   */
  get compressionKey(): string | null {
    const n = this.#negotiated;
    if (!n.deflateNoContextTakeover) return null;
    const o = this.#options;
    return `${n.deflateBits}:${o.level ?? zlib.constants.Z_DEFAULT_COMPRESSION}:${o.memLevel ?? DEFAULT_MEM_LEVEL}`;
  }

  /** Client: the params to offer. */
  offer(): ExtensionParams {
    return offerParams(this.#options);
  }

  /** Server: accepts the first acceptable offer and returns the response params (throws if none). */
  accept(offers: ExtensionParams[]): ExtensionParams {
    const { response, negotiated } = serverAccept(this.#options, offers);
    this.#negotiated = intern(negotiated);
    this.#params = response;
    return response;
  }

  /** Client: validates the server's response (RFC 7692 7.1), throwing WS_ERR_INVALID_EXTENSION. */
  acceptResponse(params: ExtensionParams[]): ExtensionParams {
    this.#negotiated = intern(clientAccept(this.#options, params));
    this.#params = params[0]!;
    return this.#params;
  }

  /**
   * Compresses one frame's data (RFC 7692 7.2.1). With `fin` the trailing 00 00 ff ff is removed. Frames of
   * one message must be passed in order, fin on the last; calls are processed in order.
   */
  compress(data: Buffer, fin: boolean, cb: DeflateCallback): void {
    this.#out ??= new ZlibSide(this, true);
    this.#enqueue(this.#out, { data, fin, cb, settled: false, release: null });
  }

  /**
   * Decompresses one frame's data (RFC 7692 7.2.2); with `fin` the trailer is appended first. Fails with
   * WS_ERR_MESSAGE_TOO_BIG (1009) as soon as the message inflates past maxPayload, and with
   * WS_ERR_INFLATE_FAILED (1007) on invalid data.
   */
  decompress(data: Buffer, fin: boolean, cb: DeflateCallback): void {
    this.#in ??= new ZlibSide(this, false);
    this.#enqueue(this.#in, { data, fin, cb, settled: false, release: null });
  }

  /** Releases the zlib streams; pending and later jobs fail with WS_ERR_NOT_OPEN. */
  cleanup(): void {
    this.#closed = true;
    for (const side of [this.#out, this.#in]) {
      if (side === null) continue;
      const err = () => new WebSocketError('WS_ERR_NOT_OPEN', 'permessage-deflate was cleaned up');
      const jobs = side.active ? [side.active, ...side.queue] : side.queue;
      side.queue = [];
      this.#drop(side);
      side.history = null;
      side.dictionary = null;
      for (const job of jobs) this.#settle(side, job, err());
    }
  }

  #enqueue(side: ZlibSide, job: Job): void {
    if (this.#closed) {
      const cb = job.cb;
      process.nextTick(() => cb(new WebSocketError('WS_ERR_NOT_OPEN', 'permessage-deflate was cleaned up')));
      return;
    }
    side.queue.push(job);
    if (!side.busy) this.#next(side);
  }

  #next(side: ZlibSide): void {
    const job = side.queue.shift();
    if (!job) return;
    side.busy = true;
    side.active = job;
    this.#limiter.add((done) => this.#run(side, job, done));
  }

  #run(side: ZlibSide, job: Job, done: () => void): void {
    if (job.settled) {
      done(); // cleaned up while waiting for a slot
      return;
    }
    job.release = done;
    const stream = side.stream ?? this.#create(side);
    if (side.deflate) side.history?.push(job.data);
    stream.write(job.data);
    if (!side.deflate && job.fin) stream.write(TRAILER);
    stream.flush(zlib.constants.Z_SYNC_FLUSH, () => this.#flushed(side, job));
  }

  #create(side: ZlibSide): OwnedStream {
    const n = this.#negotiated;
    let stream: ZStream;
    const dictionary = side.dictionary !== null && side.dictionary.length > 0 ? side.dictionary : undefined;
    if (side.deflate) {
      const bits = n.deflateBits;
      stream = zlib.createDeflateRaw({
        // See params.ts: 8 bits is honoured with Z_RLE (distance-1 matches only).
        windowBits: bits === 8 ? 9 : bits,
        strategy: bits === 8 ? zlib.constants.Z_RLE : zlib.constants.Z_DEFAULT_STRATEGY,
        memLevel: this.#options.memLevel ?? DEFAULT_MEM_LEVEL,
        level: this.#options.level ?? zlib.constants.Z_DEFAULT_COMPRESSION,
        ...(dictionary ? { dictionary } : {}),
      });
    } else {
      stream = zlib.createInflateRaw({
        windowBits: Math.max(9, n.inflateBits),
        ...(dictionary ? { dictionary } : {}),
      });
    }
    // Keep history only when a recreated stream would need it: context takeover, and release enabled.
    const takeover = side.deflate ? !n.deflateNoContextTakeover : !n.inflateNoContextTakeover;
    if (takeover && this.#sweeper !== null) {
      const window = 1 << Math.max(9, side.deflate ? n.deflateBits : n.inflateBits);
      side.history = new HistoryRing(side.deflate ? Math.min(DICTIONARY_TAIL, window) : window, dictionary);
    }
    side.dictionary = null;
    const owned = stream as OwnedStream;
    owned[kSide] = side;
    owned.on('data', onData);
    owned.on('error', onError);
    side.stream = owned;
    this.#sweeper?.watch(side);
    return owned;
  }

  #flushed(side: ZlibSide, job: Job): void {
    if (job.settled) return; // failed or cleaned up meanwhile
    let result = side.chunks.length === 1 ? side.chunks[0]! : Buffer.concat(side.chunks, side.length);
    side.chunks = [];
    side.length = 0;
    if (job.fin) {
      // RFC 7692 7.2.1: remove the 4 trailing octets. A final frame with no new input may produce no
      // output at all, in which case there is nothing to remove.
      if (side.deflate && result.length >= 4 && result.subarray(result.length - 4).equals(TRAILER)) {
        result = result.subarray(0, result.length - 4);
      }
      side.messageLength = 0;
      side.midMessage = false;
      // RFC 7692 7.1.1: without context takeover each message starts from an empty window.
      const reset = side.deflate
        ? this.#negotiated.deflateNoContextTakeover
        : this.#negotiated.inflateNoContextTakeover;
      if (reset) side.stream?.reset();
    } else {
      side.midMessage = true;
    }
    this.#settle(side, job, null, result);
  }

  #settle(side: ZlibSide, job: Job, err: Error | null, result?: Buffer): void {
    if (job.settled) return;
    job.settled = true;
    job.release?.();
    job.release = null;
    if (side.active === job) {
      side.active = null;
      side.busy = false;
    }
    side.touched = true;
    if (err) job.cb(err);
    else job.cb(null, result);
    if (!side.busy && !this.#closed) this.#next(side);
  }

  /** @internal A stream failed or overflowed: drop it (its state is unusable) and fail the job. */
  fail(side: ZlibSide, err: Error): void {
    const job = side.active;
    this.#drop(side);
    // The context is lost with the stream; the connection is closing anyway.
    side.history = null;
    side.dictionary = null;
    side.messageLength = 0;
    side.midMessage = false;
    if (job) this.#settle(side, job, err);
  }

  /** @internal Called by the sweeper for a side idle for a whole interval. */
  releaseIdle(side: ZlibSide): void {
    if (side.history !== null) {
      side.dictionary = side.history.toBuffer();
      side.history = null;
    } else if (!side.deflate && !this.#negotiated.inflateNoContextTakeover) {
      // An inflater holding the peer's context without a copy of it must stay (not reached: history is
      // kept whenever release is enabled).
      this.#sweeper?.unwatch(side);
      return;
    }
    this.#drop(side);
  }

  #drop(side: ZlibSide): void {
    const stream = side.stream;
    side.chunks = [];
    side.length = 0;
    if (!stream) return;
    side.stream = null;
    this.#sweeper?.unwatch(side);
    stream.removeListener('data', onData);
    stream.removeListener('error', onError);
    // Late errors from a closing stream have nobody to report to.
    stream.on('error', ignore);
    stream.destroy();
  }
}

function ignore(): void {}
