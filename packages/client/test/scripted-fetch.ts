// A fake `fetch` that plays a scripted Bayeux server for long-polling: each POST body is parsed and the
// script returns the raw response text, or `null` to hang until the client aborts the request.

import type { Message } from '@pushwire/bayeux';

export type Script = (messages: Message[]) => string | null | Promise<string | null>;

export interface ScriptedFetch {
  fetch: typeof fetch;
  /** Every batch the client sent, in order. */
  sent: Message[][];
  /** Requests currently open. */
  open: number;
  maxOpenConnects: number;
}

export function scriptedFetch(script: Script): ScriptedFetch {
  const state: ScriptedFetch = {
    sent: [],
    open: 0,
    maxOpenConnects: 0,
    fetch: (async (_url: string | URL | Request, init?: RequestInit) => {
      const messages = JSON.parse(String(init?.body)) as Message[];
      state.sent.push(messages);
      const isConnect = messages.some((m) => m.channel === '/meta/connect');
      state.open++;
      openConnects += isConnect ? 1 : 0;
      state.maxOpenConnects = Math.max(state.maxOpenConnects, openConnects);
      try {
        const text = await script(messages);
        if (text === null) {
          await new Promise<never>((_resolve, reject) => {
            init?.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
          });
        }
        return new Response(text, { status: 200, headers: { 'Content-Type': 'application/json' } });
      } finally {
        state.open--;
        openConnects -= isConnect ? 1 : 0;
      }
    }) as typeof fetch,
  };
  let openConnects = 0;
  return state;
}

/** A minimal well-behaved reply set: handshake ok, connect ok (immediately), anything else acked. */
export function okReplies(messages: Message[], connectAdvice: Record<string, unknown> = {}): Message[] {
  return messages.map((m) => {
    if (m.channel === '/meta/handshake') {
      return {
        channel: m.channel,
        id: m.id,
        successful: true,
        clientId: 'c1',
        version: '1.0',
        supportedConnectionTypes: ['long-polling'],
        advice: { reconnect: 'retry', interval: 0, timeout: 1000 },
      };
    }
    if (m.channel === '/meta/connect') {
      return {
        channel: m.channel,
        id: m.id,
        successful: true,
        advice: { reconnect: 'retry', ...connectAdvice },
      };
    }
    return { channel: m.channel, id: m.id, successful: true, subscription: m.subscription };
  });
}
