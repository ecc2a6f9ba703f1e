// The per-message and per-reply contexts are copies built as one literal (message-context.ts): same
// fields as the batch's context, the sender's client id, and writes to a copy stay in that copy.
import { describe, expect, it } from 'vitest';
import type { BatchContext } from '../src/core.js';
import { messageContext, replyContext } from '../src/message-context.js';

const signal = new AbortController().signal as unknown as BatchContext['signal'];
const batch: BatchContext = {
  transport: 'websocket',
  req: { method: 'GET', url: '/bayeux', headers: {} },
  remoteAddress: '127.0.0.1',
  crossSite: false,
  signal,
  connection: {},
};

describe('messageContext', () => {
  it('copies every field of the batch context and takes the sender client id', () => {
    const ctx = messageContext(batch, 'abc');
    expect(ctx).not.toBe(batch);
    expect(ctx).toEqual({ ...batch, clientId: 'abc' });
    expect(ctx.signal).toBe(signal);
  });

  it("keeps the batch's client id when the message names none", () => {
    expect(messageContext({ ...batch, clientId: 'x' }, undefined).clientId).toBe('x');
  });

  it('a handler writing its copy (a handshake records its client id) leaves the batch context alone', () => {
    const ctx = messageContext(batch, undefined);
    ctx.clientId = 'new';
    expect(batch.clientId).toBeUndefined();
    expect(messageContext(batch, undefined).clientId).toBeUndefined();
  });
});

describe('replyContext', () => {
  it('is the message context plus the request it answers', () => {
    const request = { channel: '/meta/connect', clientId: 'abc' };
    const ctx = replyContext(messageContext(batch, 'abc'), request);
    expect(ctx).toEqual({ ...batch, clientId: 'abc', request });
    expect(replyContext(batch, request, 'other').clientId).toBe('other');
  });
});
