// The memory engine's channel histories: one stream per channel (epoch, last offset, the retained
// messages oldest first). Offsets are contiguous, so the oldest retained offset is `last - length + 1`
// and a recovery needs no search. Bounded per channel by the caller's limits (size, ttl, bytes) and in
// total by `maxBytes` over all channels: past it the least recently published channels lose their whole
// history (their epoch ends, so a recovery from them honestly says `recovered: false`).

import { randomBytes } from 'node:crypto';
import type {
  EncodedMessage,
  HistoryLimits,
  HistoryPosition,
  HistoryQuery,
  HistoryRead,
  PositionTemplate,
} from './engine.js';
import { encodePosition } from './engine.js';

/**
 * Bytes charged per stream besides its messages and its channel name (the Map entry, epoch, arrays): empty
 * streams count too. Exported for the tests that cross maxHistoryBytes by one.
 */
export const STREAM_OVERHEAD = 128;
/** Bytes charged per retained message besides its text (the entry object and its slot). */
const ENTRY_OVERHEAD = 48;

interface Entry {
  readonly text: EncodedMessage;
  /** UTF-8 bytes of `text` (as queues count them). */
  readonly size: number;
  readonly time: number;
}

class Stream {
  readonly epoch: string;
  last = 0;
  entries: Entry[] = [];
  head = 0;
  /** Memory charged (texts plus overheads), for the engine-wide bound. */
  bytes = STREAM_OVERHEAD;
  /** UTF-8 bytes of the texts only, for the per-channel maxBytes. */
  textBytes = 0;
  /** Ms of the last publish or creation (an idle empty stream is dropped after its ttl). */
  touched: number;
  ttl = 0;

  constructor(now: number) {
    // 64 random bits: a restarted engine never reuses an epoch (recovery across it must fail).
    this.epoch = randomBytes(8).toString('hex');
    this.touched = now;
  }

  get length(): number {
    return this.entries.length - this.head;
  }

  /** Oldest retained offset (last + 1 when empty). */
  get first(): number {
    return this.last - this.length + 1;
  }

  dropOldest(): number {
    const e = this.entries[this.head];
    if (e === undefined) return 0;
    this.entries[this.head] = undefined as unknown as Entry; // release the text now (slot compacted below)
    this.head++;
    const freed = e.size + ENTRY_OVERHEAD;
    this.bytes -= freed;
    this.textBytes -= e.size;
    if (this.head === this.entries.length) {
      this.entries = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
    return freed;
  }

  /** Drops what is older than ttl, past size, or past maxBytes; returns the bytes freed. */
  trim(limits: HistoryLimits, now: number): number {
    let freed = 0;
    const oldest = now - limits.ttl;
    for (;;) {
      const e = this.entries[this.head];
      if (e === undefined) break;
      const tooMany = this.length > limits.size;
      const tooBig = this.textBytes > limits.maxBytes;
      if (!tooMany && !tooBig && e.time > oldest) break;
      freed += this.dropOldest();
    }
    return freed;
  }

  /** The newest `n` retained texts, oldest first. */
  newest(n: number): EncodedMessage[] {
    const out: EncodedMessage[] = [];
    for (let i = this.entries.length - n; i < this.entries.length; i++)
      out.push((this.entries[i] as Entry).text);
    return out;
  }
}

export class HistoryStore {
  readonly #streams = new Map<string, Stream>();
  readonly #maxBytes: number;
  readonly #onEvict: ((channel: string, epoch: string) => void) | undefined;
  #bytes = 0;

  /**
   * @param maxBytes Bytes of history kept over all channels (memory engine option `maxHistoryBytes`).
   * @param onEvict Told when a channel loses its whole history to that bound (diagnostics).
   */
  constructor(maxBytes: number, onEvict?: (channel: string, epoch: string) => void) {
    this.#maxBytes = maxBytes;
    this.#onEvict = onEvict;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get channelCount(): number {
    return this.#streams.size;
  }

  /** Appends one message; returns its position and final text. */
  append(
    channel: string,
    template: PositionTemplate,
    limits: HistoryLimits,
    now: number,
  ): { position: HistoryPosition; text: EncodedMessage } {
    const stream = this.#stream(channel, limits, now, true);
    stream.last++;
    const position = { offset: stream.last, epoch: stream.epoch };
    const text = template.head + encodePosition(position) + template.tail;
    const size = Buffer.byteLength(text);
    stream.entries.push({ text, size, time: now });
    const added = size + ENTRY_OVERHEAD;
    stream.bytes += added;
    stream.textBytes += size;
    this.#bytes += added;
    this.#bytes -= stream.trim(limits, now);
    this.#evict(stream);
    return { position, text };
  }

  /** Reads per the query (see HistoryRead); creates the stream (new epoch, offset 0) when missing. */
  read(channel: string, query: HistoryQuery | undefined, limits: HistoryLimits, now: number): HistoryRead {
    const stream = this.#stream(channel, limits, now, false);
    this.#bytes -= stream.trim(limits, now);
    const position = { offset: stream.last, epoch: stream.epoch };
    if (query === undefined) return { position, messages: [], complete: true };
    if ('last' in query) {
      const n = Math.min(query.last, limits.maxRecovery, stream.length);
      const complete = n >= query.last || (stream.first === 1 && n === stream.length);
      return { position, messages: stream.newest(n), complete };
    }
    const after = query.after;
    if (after.epoch !== stream.epoch || after.offset > stream.last || after.offset < stream.first - 1) {
      return { position, messages: [], complete: false };
    }
    const missed = stream.last - after.offset;
    if (missed > limits.maxRecovery) return { position, messages: [], complete: false };
    return { position, messages: stream.newest(missed), complete: true };
  }

  /** Drops streams idle for longer than their ttl with nothing left (the sweeper calls this). */
  sweep(now: number): void {
    // Map order is least recently published first (append re-inserts), so stop at the first fresh one. With
    // several ttls (patterns) a short-lived stream may wait behind a longer-lived one: memory stays bounded
    // by maxBytes, and the sweep stays O(expired).
    for (const [channel, stream] of this.#streams) {
      if (stream.touched + stream.ttl > now) break;
      this.#bytes -= stream.trim(
        { size: Number.MAX_SAFE_INTEGER, ttl: stream.ttl, maxBytes: Number.MAX_SAFE_INTEGER, maxRecovery: 0 },
        now,
      );
      if (stream.length > 0) continue;
      this.#streams.delete(channel);
      this.#bytes -= stream.bytes;
    }
  }

  clear(): void {
    this.#streams.clear();
    this.#bytes = 0;
  }

  #stream(channel: string, limits: HistoryLimits, now: number, publishing: boolean): Stream {
    let stream = this.#streams.get(channel);
    if (stream === undefined) {
      stream = new Stream(now);
      // The channel name is the Map key, held as long as the stream: a peer subscribing to long names on a
      // history channel pattern would otherwise hold up to 512 characters (maxLength, up to 2 KiB of UTF-8)
      // each for 128 bytes charged.
      stream.bytes += Buffer.byteLength(channel);
      this.#streams.set(channel, stream);
      this.#bytes += stream.bytes;
      this.#evict(stream);
    } else if (publishing) {
      // Most recently published last: eviction and the sweep take the idle ones first.
      this.#streams.delete(channel);
      this.#streams.set(channel, stream);
      stream.touched = now;
    }
    stream.ttl = limits.ttl;
    return stream;
  }

  /**
   * Past maxBytes, whole streams go, least recently published first (never `keep`, the one in use). Empty
   * streams go before any holding messages: subscribes to many new channel names (each gets an epoch) must
   * not push the real histories out.
   */
  #evict(keep: Stream): void {
    for (const emptyOnly of [true, false]) {
      for (const [channel, stream] of this.#streams) {
        if (this.#bytes <= this.#maxBytes) return;
        if (stream === keep || (emptyOnly && stream.length > 0)) continue;
        this.#streams.delete(channel);
        this.#bytes -= stream.bytes;
        this.#onEvict?.(channel, stream.epoch);
      }
    }
  }
}
