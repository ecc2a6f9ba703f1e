// Bounded HTTP body reading and parsing for long-polling. Chunks are collected only up to `limit`
// bytes: past it the read stops at once with 413, the rest is never buffered (unlike Faye, which joins
// the whole POST body). Parsing turns the body into a list of message objects, or a 400 with a short reason.
// The bytes bound the request (maxMessageSize, as CometD and Faye do); the message count is a guard far
// above any real batch (maxMessagesPerRequest): the messages past it are answered one by one with
// `400:<max>:too_many_messages` (Bayeux §3.14 reply data), never a transport failure.

import type { IncomingMessage } from 'node:http';
import { errorString, type Message, overflowReplies } from '@pushwire/bayeux';
import { type Expiring, type HoldTimers, TimerNode } from '../hold-timers.js';

/** A parsed request: the messages to process, and the replies for those refused before processing. */
export interface ParsedBatch {
  messages: Message[];
  /**
   * Unsuccessful replies for the elements not processed: past maxMessagesPerRequest, or not an object
   * (`400::bad_request`, one reply for all of them). Usually empty.
   */
  overflow: Message[];
}

const NO_OVERFLOW: Message[] = [];

/** An HTTP-level refusal: a status and a short reason for the body. */
export class HttpError extends Error {
  readonly status: number;
  readonly code: HttpErrorCode;
  constructor(status: number, code: HttpErrorCode, message: string) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.code = code;
  }
}

export type HttpErrorCode =
  | 'BODY_TOO_LARGE'
  | 'BAD_JSON'
  | 'NOT_MESSAGES'
  | 'BAD_CONTENT_TYPE'
  | 'BAD_METHOD'
  | 'BAD_CALLBACK'
  | 'NO_MESSAGE'
  | 'ORIGIN_REFUSED'
  | 'HOST_REFUSED'
  | 'TOO_MANY_CONNECTIONS'
  | 'BODY_TIMEOUT'
  | 'ABORTED';

/** Where a BodyReader hands the body, or why there is none (exactly one of the two, once). */
export interface BodySink {
  bodyRead(body: Buffer): void;
  bodyFailed(err: HttpError): void;
}

/** Fires a reader's deadline without a closure (setTimeout passes the reader as its argument). */
function onBodyTimer(reader: BodyReader): void {
  reader.deadlineReached();
}

/**
 * Reads one request body into a sink, failing with 413 as soon as more than `limit` bytes arrive, with 408
 * when it has not arrived in full within `timeoutMs` (a slow body holds a socket and a buffer; Node's own
 * requestTimeout is 300 s), and with ABORTED when the peer goes away first (counted, not an internal
 * error). No Promise: the long-polling path reads a body per request, so its deadline goes in the server's
 * shared deadline list (`timers`, hold-timers.ts: one Node timer for every body being read) instead of a
 * Timeout each, and its three listeners share one context.
 */
export class BodyReader implements Expiring {
  readonly #req: IncomingMessage;
  readonly #limit: number;
  readonly #sink: BodySink;
  readonly #timers: HoldTimers | undefined;
  readonly #timeoutMs: number;
  #deadline: TimerNode | NodeJS.Timeout | undefined;
  /** The one chunk (a small body comes in one), then a list once a second arrives. */
  #chunks: Buffer | Buffer[] | undefined;
  #size = 0;
  #done = false;
  readonly #onData = (chunk: Buffer): void => this.#data(chunk);
  readonly #onEnd = (): void => this.#end();
  // A reset mid-body is an 'error' (ECONNRESET "aborted") or a 'close' before 'end': the peer hung up.
  readonly #onGone = (): void => {
    if (!this.#req.readableEnded) this.#fail(new HttpError(400, 'ABORTED', 'request aborted by the client'));
  };

  constructor(req: IncomingMessage, limit: number, timeoutMs: number, sink: BodySink, timers?: HoldTimers) {
    this.#req = req;
    this.#limit = limit;
    this.#sink = sink;
    this.#timers = timers;
    this.#timeoutMs = timeoutMs;
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      this.#done = true;
      req.resume();
      sink.bodyFailed(tooLarge(limit));
      return;
    }
    this.#deadline =
      timers !== undefined ? timers.arm(timeoutMs, this) : setTimeout(onBodyTimer, timeoutMs, this);
    req.on('data', this.#onData);
    req.on('end', this.#onEnd);
    req.on('error', this.#onGone);
    req.on('close', this.#onGone);
  }

  /** The deadline passed with the body still incomplete. */
  deadlineReached(): void {
    this.#deadline = undefined;
    this.#fail(new HttpError(408, 'BODY_TIMEOUT', `body not received within ${this.#timeoutMs} ms`));
  }

  #data(chunk: Buffer): void {
    this.#size += chunk.length;
    if (this.#size > this.#limit) {
      this.#cleanup();
      this.#chunks = undefined;
      this.#req.resume(); // discard the rest without buffering it
      this.#sink.bodyFailed(tooLarge(this.#limit));
      return;
    }
    const chunks = this.#chunks;
    if (chunks === undefined) this.#chunks = chunk;
    else if (Array.isArray(chunks)) chunks.push(chunk);
    else this.#chunks = [chunks, chunk];
  }

  #end(): void {
    if (this.#done) return;
    this.#cleanup();
    const chunks = this.#chunks;
    this.#chunks = undefined;
    const body =
      chunks === undefined
        ? Buffer.alloc(0)
        : Array.isArray(chunks)
          ? Buffer.concat(chunks, this.#size)
          : chunks;
    this.#sink.bodyRead(body);
  }

  #fail(err: HttpError): void {
    if (this.#done) return;
    this.#cleanup();
    this.#chunks = undefined;
    this.#sink.bodyFailed(err);
  }

  #cleanup(): void {
    this.#done = true;
    const deadline = this.#deadline;
    this.#deadline = undefined;
    if (deadline instanceof TimerNode) this.#timers?.cancel(deadline);
    else if (deadline !== undefined) clearTimeout(deadline);
    const req = this.#req;
    req.off('data', this.#onData);
    req.off('end', this.#onEnd);
    req.off('error', this.#onGone);
    req.off('close', this.#onGone);
  }
}

function tooLarge(limit: number): HttpError {
  return new HttpError(413, 'BODY_TOO_LARGE', `body larger than ${limit} bytes`);
}

/** The body of `req` as a Promise (frameworks, components' HttpRequest): a BodyReader with its own timer. */
export function readBody(req: IncomingMessage, limit: number, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    new BodyReader(req, limit, timeoutMs, { bodyRead: resolve, bodyFailed: reject });
  });
}

function isMessageObject(m: unknown): m is Message {
  return m !== null && typeof m === 'object' && !Array.isArray(m);
}

/** The elements of a request: objects, and how many elements were not objects (answered, not processed). */
interface ElementList {
  list: Message[];
  rejected: number;
}

/**
 * Parses JSON text that must be a message object or an array (Bayeux §2.5). A scalar is no batch at all
 * (400); inside an array, an element that is not an object is one bad message: it gets a `400::bad_request`
 * reply and the valid messages beside it are processed (Bayeux §3.14 errors are per message).
 */
function parseList(text: string, into: ElementList): void {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'BAD_JSON', 'malformed JSON');
  }
  if (!Array.isArray(value)) {
    if (!isMessageObject(value)) throw new HttpError(400, 'NOT_MESSAGES', 'messages must be JSON objects');
    into.list.push(value);
    return;
  }
  for (const m of value) {
    if (isMessageObject(m)) into.list.push(m);
    else into.rejected++;
  }
}

/** One reply for every element that was not an object: it has no id nor channel to answer by. */
function rejectedReply(): Message {
  return { channel: '/meta/unsuccessful', successful: false, error: errorString('badRequest') };
}

/** The first `maxMessages` messages to process; the rest answered `too_many_messages`. */
function limitBatch({ list, rejected }: ElementList, maxMessages: number): ParsedBatch {
  if (list.length === 0 && rejected === 0) throw new HttpError(400, 'NOT_MESSAGES', 'empty message array');
  const refused = rejected > 0 ? [rejectedReply()] : NO_OVERFLOW;
  if (list.length <= maxMessages) return { messages: list, overflow: refused };
  return {
    messages: list.slice(0, maxMessages),
    overflow: refused.concat(overflowReplies(list.slice(maxMessages), maxMessages)),
  };
}

/** Parses one JSON text (a body, a WebSocket message) into a batch bounded by `maxMessages`. */
export function parseMessages(text: string, maxMessages: number): ParsedBatch {
  const into: ElementList = { list: [], rejected: 0 };
  parseList(text, into);
  return limitBatch(into, maxMessages);
}

/**
 * Parses every `message=` value of a form body or query string, each a JSON object or array, counted
 * together against `maxMessages` (Bayeux §6.1).
 */
export function parseFormMessages(form: URLSearchParams, maxMessages: number): ParsedBatch {
  const values = form.getAll('message');
  if (values.length === 0) throw new HttpError(400, 'NO_MESSAGE', "no 'message' parameter");
  const into: ElementList = { list: [], rejected: 0 };
  for (const v of values) parseList(v, into);
  return limitBatch(into, maxMessages);
}

/** What the clients send, as sent: matched before any string is built (one per request otherwise). */
const JSON_TYPES = new Set([
  'application/json',
  'application/json;charset=UTF-8', // CometD
  'application/json; charset=utf-8',
  'application/json;charset=utf-8',
]);

/** The media type of a Content-Type (RFC 9110 8.3.1: case-insensitive, parameters after `;`). */
function mediaType(contentType: string | undefined): string {
  if (contentType === undefined) return '';
  if (JSON_TYPES.has(contentType)) return 'application/json';
  const semi = contentType.indexOf(';');
  return (semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
}

/**
 * Decodes a POST body by content type: `application/json` is JSON; `application/x-www-form-urlencoded` is
 * `message=`; `text/plain` (what a cross-origin XHR without a content type sends, e.g. Faye's
 * cross-origin-long-polling) may be either. Anything else is a 400.
 */
export function decodePostBody(
  contentType: string | undefined,
  body: Buffer,
  maxMessages: number,
): ParsedBatch {
  const type = mediaType(contentType);
  const text = body.toString('utf8');
  if (type === 'application/json') return parseMessages(text, maxMessages);
  if (type === 'application/x-www-form-urlencoded')
    return parseFormMessages(new URLSearchParams(text), maxMessages);
  if (type === 'text/plain' || type === '') {
    if (text.startsWith('message=')) return parseFormMessages(new URLSearchParams(text), maxMessages);
    return parseMessages(text, maxMessages);
  }
  throw new HttpError(400, 'BAD_CONTENT_TYPE', `unsupported content type '${type}'`);
}
