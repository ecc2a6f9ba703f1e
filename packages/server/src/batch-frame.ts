// "Encode once" on the wire (DESIGN.md): a published message is JSON text once in the engine, and here it
// becomes bytes once for every socket it goes to. A batch `[a,b,c]` is sent as a PreparedFrame
// (@pushwire/websocket) whose payload is a list of pieces: constant `[` `,` `]` buffers and each message's
// shared Buffer, so a 1 MB publish to N subscribers keeps one 1 MB Buffer, not N copies, and nothing joins a
// client's queue into a new string. Small batches are joined into one string (cheaper than pieces), and
// a small batch that several sockets get (the members of a room woken by one publish) is framed once:
// one PreparedFrame written as is to each of them (SharedPayloads.smallFrame).

import { PreparedFrame } from '@pushwire/websocket';

/** Batches smaller than this (in characters) are sent as one joined string: copying them costs nothing. */
export const SHARED_FRAME_MIN = 16 * 1024;
/** Messages at least this long get a shared Buffer; shorter ones are copied into the piece next to them. */
export const SHARED_PAYLOAD_MIN = 4 * 1024;
/** Shared payloads remembered at once, and their total bytes (the most a fan-out keeps alive here). */
export const SHARED_PAYLOAD_ENTRIES = 8;
export const SHARED_PAYLOAD_BYTES = 32 * 1024 * 1024;
/** Ms after its last use that the memory of shared payloads is released. */
export const SHARED_PAYLOAD_IDLE_MS = 1000;
/**
 * Small batches remembered at once. One publish to a room wakes every member in the same turn, and each
 * takes the same queued string objects: the same batch, N times. Its frame is then built once.
 */
export const SHARED_BATCH_ENTRIES = 4;

const OPEN = Buffer.from('[');
const COMMA = Buffer.from(',');
const CLOSE = Buffer.from(']');

interface Entry {
  readonly text: string;
  readonly bytes: Buffer;
}

/** A small batch seen once; its frame is made the second time it is asked for. */
interface BatchEntry {
  readonly messages: readonly string[];
  frame: PreparedFrame | undefined;
}

function sameBatch(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  // The same string objects from the engine's queues: `===` is a pointer comparison for them.
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function onIdle(payloads: SharedPayloads): void {
  payloads.clear();
}

/**
 * The Buffers of the last few large messages sent. A fan-out flushes every subscriber in the same turn (or
 * as each drains), each with the same string object from the engine's queues: the first flush encodes it,
 * the others find it. Lookup is `===` against a handful of entries (the same string object compares in
 * O(1); a different one of the same length costs at most one comparison per entry, no more than the copy
 * it replaces), never a Map keyed by megabytes of text.
 */
export class SharedPayloads {
  #entries: Entry[] = [];
  #bytes = 0;
  #idle: NodeJS.Timeout | undefined;
  #batches: BatchEntry[] = [];
  /** The batch entry replaced next once all are in use (oldest first). */
  #nextBatch = 0;

  /**
   * The frame of a small batch (`[a,b]`): the first time a batch is seen, its joined text (what a batch
   * only one client gets cost before); when the same batch is asked for again (the other members of a
   * room), ONE PreparedFrame, encoded and framed once and written as is to every socket that gets it
   * (DESIGN.md "Shared bytes on the wire").
   */
  smallFrame(messages: readonly string[]): string | PreparedFrame {
    const batches = this.#batches;
    for (let i = 0; i < batches.length; i++) {
      const entry = batches[i] as BatchEntry;
      if (sameBatch(entry.messages, messages)) {
        entry.frame ??= new PreparedFrame(Buffer.from(`[${messages.join(',')}]`, 'utf8'));
        return entry.frame;
      }
    }
    // A copy: the caller's array is its own (a held connect's reply is appended to it).
    const entry: BatchEntry = { messages: messages.slice(), frame: undefined };
    if (batches.length < SHARED_BATCH_ENTRIES) batches.push(entry);
    else batches[this.#nextBatch] = entry;
    this.#nextBatch = (this.#nextBatch + 1) % SHARED_BATCH_ENTRIES;
    this.#touch();
    return `[${messages.join(',')}]`;
  }

  /** The UTF-8 bytes of `text`, shared with every other caller that asks for the same text meanwhile. */
  bytesOf(text: string): Buffer {
    const entries = this.#entries;
    for (let i = entries.length - 1; i >= 0; i--) {
      const entry = entries[i] as Entry;
      if (entry.text === text) return entry.bytes;
    }
    const bytes = Buffer.from(text, 'utf8');
    if (bytes.length <= SHARED_PAYLOAD_BYTES) {
      while (
        entries.length > 0 &&
        (entries.length >= SHARED_PAYLOAD_ENTRIES || this.#bytes + bytes.length > SHARED_PAYLOAD_BYTES)
      ) {
        this.#bytes -= (entries.shift() as Entry).bytes.length;
      }
      entries.push({ text, bytes });
      this.#bytes += bytes.length;
    }
    this.#touch();
    return bytes;
  }

  /** Releases what is remembered SHARED_PAYLOAD_IDLE_MS after the last addition. */
  #touch(): void {
    if (this.#idle === undefined) {
      this.#idle = setTimeout(onIdle, SHARED_PAYLOAD_IDLE_MS, this);
      this.#idle.unref();
    } else {
      this.#idle.refresh();
    }
  }

  /** Forgets every entry (the Buffers stay alive only as long as sockets still write them). */
  clear(): void {
    this.#entries = [];
    this.#bytes = 0;
    this.#batches = [];
    this.#nextBatch = 0;
    if (this.#idle !== undefined) clearTimeout(this.#idle);
    this.#idle = undefined;
  }

  /** Large-message entries held (tests). */
  get size(): number {
    return this.#entries.length;
  }
}

/**
 * The frame for a batch of encoded messages (the JSON array every transport sends): a joined string when
 * small, otherwise a PreparedFrame of shared pieces (the payload Buffers of large messages come from
 * `payloads`; runs of small messages are copied into one piece).
 */
export function batchFrame(messages: readonly string[], payloads: SharedPayloads): string | PreparedFrame {
  let chars = 0;
  for (const m of messages) chars += m.length;
  if (chars < SHARED_FRAME_MIN) return payloads.smallFrame(messages);
  const pieces: Buffer[] = [OPEN];
  // Small messages (and the commas between them) are gathered into one string, then one Buffer.
  let run = '';
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i] as string;
    const comma = i > 0;
    if (m.length < SHARED_PAYLOAD_MIN) {
      run += comma ? `,${m}` : m;
      continue;
    }
    if (run.length > 0) {
      pieces.push(Buffer.from(run, 'utf8'));
      run = '';
    }
    if (comma) pieces.push(COMMA);
    pieces.push(payloads.bytesOf(m));
  }
  if (run.length > 0) pieces.push(Buffer.from(run, 'utf8'));
  pieces.push(CLOSE);
  return new PreparedFrame(pieces);
}
