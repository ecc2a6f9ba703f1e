// The long-polling path keeps one record per request (http-exchange.ts) and reads bodies with a deadline in
// the server's shared list (http-body.ts BodyReader): no Timeout, no Promise per request. These pin what
// the old promise chain gave for free: server close still waits for an exchange in flight, a body deadline
// still answers 408, and nothing stays armed once the body is read.
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HoldTimers } from '../src/hold-timers.js';
import { BodyReader, type HttpError } from '../src/transports/http-body.js';
import { HttpInFlight } from '../src/transports/http-exchange.js';

/** A request stream with headers, fed by the test. */
function fakeRequest(headers: Record<string, string> = {}): IncomingMessage & Readable {
  const req = new Readable({ read() {} }) as IncomingMessage & Readable;
  Object.assign(req, { headers });
  return req;
}

function sink() {
  const got: { body?: Buffer; error?: HttpError } = {};
  return {
    got,
    bodyRead(body: Buffer) {
      got.body = body;
    },
    bodyFailed(error: HttpError) {
      got.error = error;
    },
  };
}

describe('BodyReader on the shared deadline list', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('arms no Node timer of its own: one list entry while reading, none once the body is in', async () => {
    const timers = new HoldTimers();
    const req = fakeRequest();
    const s = sink();
    new BodyReader(req, 100, 5000, s, timers);
    expect(timers.lists).toBe(1);
    expect(vi.getTimerCount()).toBe(1); // the list's one timer, shared by every body of that deadline
    new BodyReader(fakeRequest(), 100, 5000, sink(), timers);
    expect(vi.getTimerCount()).toBe(1);
    req.push(Buffer.from('[{"a":'));
    req.push(Buffer.from('1}]'));
    req.push(null);
    await vi.advanceTimersByTimeAsync(0);
    expect(s.got.body?.toString()).toBe('[{"a":1}]');
    expect(s.got.error).toBeUndefined();
  });

  it('fails with 408 BODY_TIMEOUT at the deadline, and the list is dropped', async () => {
    const timers = new HoldTimers();
    const req = fakeRequest();
    const s = sink();
    new BodyReader(req, 100, 300, s, timers);
    req.push(Buffer.from('[{'));
    await vi.advanceTimersByTimeAsync(299);
    expect(s.got.error).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(s.got.error?.code).toBe('BODY_TIMEOUT');
    expect(s.got.error?.status).toBe(408);
    expect(timers.lists).toBe(0);
    expect(s.got.body).toBeUndefined();
  });

  it('fails with 413 past the limit and cancels its deadline (no 408 after it)', async () => {
    const timers = new HoldTimers();
    const req = fakeRequest();
    const s = sink();
    const failures: string[] = [];
    new BodyReader(req, 4, 300, { bodyRead: s.bodyRead, bodyFailed: (e) => failures.push(e.code) }, timers);
    req.push(Buffer.from('12345'));
    await vi.advanceTimersByTimeAsync(0);
    expect(failures).toEqual(['BODY_TOO_LARGE']);
    await vi.advanceTimersByTimeAsync(300);
    expect(failures).toEqual(['BODY_TOO_LARGE']);
    expect(timers.lists).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('HttpInFlight', () => {
  it('idle() resolves once every exchange begun is done, at once when none is', async () => {
    const inFlight = new HttpInFlight();
    await inFlight.idle();
    inFlight.begin();
    inFlight.begin();
    let idle = false;
    const waiting = inFlight.idle().then(() => {
      idle = true;
    });
    inFlight.exchangeDone();
    await Promise.resolve();
    expect(idle).toBe(false);
    inFlight.exchangeDone();
    await waiting;
    expect(idle).toBe(true);
    expect(inFlight.count).toBe(0);
  });
});
