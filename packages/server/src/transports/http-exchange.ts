// One HTTP request to the mount (long-polling POST, callback-polling GET), from its body to its answer, as
// ONE record. An idle long-polling client always has a /meta/connect held (Bayeux §4.2), so whatever a
// held request keeps alive is paid per connected client: here that is this object (its own HoldSignal, the
// held connect's reply sink, the response's one 'close' listener), not a chain of async functions, promises
// and closures waiting on each other (issue 13: eleven promises and nine closures per idle client).

import type { IncomingMessage, ServerResponse } from 'node:http';
import { META, type Message } from '@pushwire/bayeux';
import { browserIdOf, ensureBrowserId } from '../browser-cookie.js';
import type { BatchContext, Core, HeldReplySink } from '../core.js';
import { type BatchOutcome, encodeBatch, processBatch } from '../dispatcher.js';
import type { TransportName } from '../options.js';
import { isCrossSite } from '../request-info.js';
import { addTake, putBackTakes, type TakeRecorder, type Takes } from '../taken-messages.js';
import { jsonpBody, writeJsonp } from './callback-polling.js';
import { CloseSignal } from './close-signal.js';
import { applyCorsHeaders } from './cors.js';
import { refuse, responseGone, withOverflow, writeOk } from './http-batch.js';
import { BodyReader, type BodySink, decodePostBody, HttpError, type ParsedBatch } from './http-body.js';
import { shareStrings } from './shared-strings.js';

const JSON_TYPE = 'application/json; charset=utf-8';

/** HttpExchange states (bits). A connect of this request is held: the response waits for its reply. */
const HOLDING = 1;
/** processBatch returned while the held connect was not answered yet. */
const PROCESSED = 2;
/** The exchange is over (answered, refused or abandoned): `done` was told. */
const OVER = 4;

/** The exchange of each response still open: what the shared 'close' listener finds by `this`. */
const exchanges = new WeakMap<ServerResponse, HttpExchange>();

function onResponseClose(this: ServerResponse): void {
  const exchange = exchanges.get(this);
  exchanges.delete(this);
  exchange?.closed();
}

/** Told once when an exchange is over (answered, refused, or its peer gone). */
export interface ExchangeDone {
  exchangeDone(): void;
}

/**
 * The HTTP exchanges not yet over, counted (server close waits for them before closing the engine): a
 * number and, only while close() waits, its waiters; nothing per request.
 */
export class HttpInFlight implements ExchangeDone {
  #count = 0;
  #idle: (() => void)[] = [];

  begin(): void {
    this.#count++;
  }

  exchangeDone(): void {
    if (--this.#count > 0) return;
    const idle = this.#idle;
    this.#idle = [];
    for (const resolve of idle) resolve();
  }

  get count(): number {
    return this.#count;
  }

  /** Resolves once no exchange is in flight. */
  idle(): Promise<void> {
    if (this.#count === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }
}

/**
 * One request. It is the CloseSignal its held connect listens to, and the HeldReplySink the dispatcher
 * hands the held reply to (as a websocket's SocketSession is): the replies written now and the held
 * connect's reply go out together in ONE response, in that order.
 */
export class HttpExchange extends CloseSignal implements BodySink, HeldReplySink, TakeRecorder {
  readonly #core: Core;
  readonly #req: IncomingMessage;
  readonly #res: ServerResponse;
  readonly #address: string;
  readonly #done: ExchangeDone | undefined;
  /** What this request's connect replies took from the queue, given back if the response is gone. */
  #takes: Takes;
  /** Kept only when some messages were refused before processing: their replies go after the rest. */
  #overflow: ParsedBatch | undefined;
  /** Callback-polling: the JSON-P callback name the reply calls. */
  #callback: string | undefined;
  /** HOLDING | PROCESSED | OVER: one field, not three (an idle client's request holds this record). */
  #state = 0;
  /**
   * What waits for the other half of the response: before PROCESSED the held connect's reply (it came
   * first); after it the other messages' replies (usually none: a held connect travels alone).
   */
  #waiting: string[] | undefined;

  constructor(core: Core, req: IncomingMessage, res: ServerResponse, address: string, done?: ExchangeDone) {
    super();
    this.#core = core;
    this.#req = req;
    this.#res = res;
    this.#address = address;
    this.#done = done;
    // One module-level listener for every response ('close' fires once: `on`, since `once` would wrap it):
    // a closure per request, with its context, was ~96 bytes per held long-poll (issue 13).
    exchanges.set(res, this);
    res.on('close', onResponseClose);
  }

  /** Long-polling: the body, unless a framework's parser already read it. */
  readBody(): void {
    const { maxMessageSize, bodyTimeout } = this.#core.options;
    // The deadline goes in the server's shared list (one Node timer for every body being read).
    new BodyReader(this.#req, maxMessageSize, bodyTimeout, this, this.#core.held.timers);
  }

  bodyRead(body: Buffer): void {
    let batch: ParsedBatch;
    try {
      batch = decodePostBody(
        this.#req.headers['content-type'],
        body,
        this.#core.options.maxMessagesPerRequest,
      );
    } catch (err) {
      this.fail(err);
      return;
    }
    this.run(batch, 'long-polling');
  }

  bodyFailed(err: HttpError): void {
    this.fail(err);
  }

  /** Callback-polling: the reply is a script calling `callback`. */
  setCallback(callback: string): void {
    this.#callback = callback;
  }

  /** Processes the batch; the response is written once every reply, held ones included, is ready. */
  run(batch: ParsedBatch, transport: TransportName): void {
    if (batch.overflow.length > 0) this.#overflow = batch;
    // An idle client's connect is held with its message: no copy of the connect's constant texts.
    shareStrings(batch.messages);
    processBatch(this.#core, batch.messages, this.#context(batch.messages, transport)).then(
      (outcome) => this.#processed(outcome),
      (err: unknown) => this.fail(err),
    );
  }

  /** Writes replies that never went through the dispatcher (callback-polling's cross-site refusals). */
  answer(messages: string[]): void {
    this.#write(messages);
  }

  heldStarted(): void {
    this.#state |= HOLDING;
  }

  heldReply(messages: string[]): void {
    if ((this.#state & PROCESSED) === 0) {
      this.#waiting = messages; // processBatch has not returned yet: it writes both
      return;
    }
    const now = this.#waiting;
    this.#waiting = undefined;
    this.#write(now === undefined ? messages : now.concat(messages));
  }

  record(clientId: string, messages: readonly string[]): void {
    this.#takes = addTake(this.#takes, clientId, messages);
  }

  #processed(outcome: BatchOutcome): void {
    if ((this.#state & HOLDING) === 0) {
      this.#write(outcome.messages);
      return;
    }
    const held = this.#waiting;
    if (held === undefined) {
      // The held connect's reply writes them (an empty list is not kept: idle clients hold one each).
      this.#state |= PROCESSED;
      if (outcome.messages.length > 0) this.#waiting = outcome.messages;
      return;
    }
    this.#waiting = undefined;
    this.#write(outcome.messages.concat(held));
  }

  #context(messages: Message[], transport: TransportName): BatchContext {
    const core = this.#core;
    const req = this.#req;
    const ctx: BatchContext = {
      transport,
      req,
      signal: this,
      remoteAddress: this.#address,
      crossSite: isCrossSite(req),
      taken: this,
      replies: this,
    };
    // Behind a proxy (trustProxy) an HTTP connection is the proxy's, shared by many clients: the
    // per-connection handshake limit then applies to WebSockets only (each is its own connection end to end).
    if (!core.options.trustProxy) ctx.connection = req.socket;
    // The browser id is issued with the handshake (CometD) and read by connects (maxSessionsPerBrowser
    // counts a browser's held connects): a request with neither leaves the Cookie header unparsed.
    let handshake = false;
    let connect = false;
    for (const m of messages) {
      if (m.channel === META.handshake) handshake = true;
      else if (m.channel === META.connect) connect = true;
    }
    const browserId = handshake
      ? ensureBrowserId(req, this.#res)
      : connect && core.options.maxSessionsPerBrowser >= 0
        ? browserIdOf(req)
        : undefined;
    if (browserId !== undefined) ctx.browserId = browserId;
    return ctx;
  }

  #write(messages: string[]): void {
    const core = this.#core;
    const req = this.#req;
    const res = this.#res;
    const overflow = this.#overflow;
    const out = overflow === undefined ? messages : withOverflow(messages, overflow);
    if (responseGone(req, res)) {
      // Messages taken for this reply would be written to nobody: back to the head of the queue.
      putBackTakes(core, this.#takes);
      this.#takes = undefined;
      this.#end();
      return;
    }
    try {
      const callback = this.#callback;
      if (callback === undefined) {
        applyCorsHeaders(req, res, core.options.cors);
        writeOk(res, JSON_TYPE, encodeBatch(out));
      } else writeJsonp(res, jsonpBody(callback, encodeBatch(out)));
    } catch (err) {
      core.reportError(err);
      res.destroy();
    }
    this.#end();
  }

  /** An HttpError becomes its short HTTP answer; anything else is reported and answered 500. */
  fail(err: unknown): void {
    const core = this.#core;
    const req = this.#req;
    const res = this.#res;
    this.#end();
    if (err instanceof HttpError && err.code === 'ABORTED') {
      // The peer hung up mid-body: network weather, counted (server.stats), never an 'error' event.
      core.stats.count('aborted-body', this.#address);
      res.destroy();
      return;
    }
    if (err instanceof HttpError && err.code === 'BODY_TIMEOUT') {
      core.stats.count('body-timeout', this.#address);
      refuse(res, 408, err.message, { Connection: 'close' });
      // The rest of the body may never come: the socket goes once the 408 is out.
      res.once('finish', () => req.socket.destroy());
      return;
    }
    if (err instanceof HttpError) {
      const extra: Record<string, string> = err.status === 405 ? { Allow: 'POST, GET, OPTIONS' } : {};
      // After a 413 the rest of the body is discarded; close so the client does not pipeline behind it.
      if (err.status === 413) extra.Connection = 'close';
      refuse(res, err.status, err.message, extra);
      return;
    }
    core.reportError(err);
    refuse(res, 500, 'internal error');
  }

  /** Answered by the caller (a preflight). */
  answered(): void {
    this.#end();
  }

  /** The exchange is over for the server (answered or abandoned); its 'close' still frees the slot. */
  #end(): void {
    if ((this.#state & OVER) !== 0) return;
    this.#state |= OVER;
    this.#done?.exchangeDone();
  }

  /** @internal The response's 'close' (onResponseClose). */
  closed(): void {
    this.#core.admission.closeConnection();
    // Closed before the answer was written: the peer is gone, a held connect is released without its queue.
    if (!this.#res.writableFinished) this.abort();
  }
}
