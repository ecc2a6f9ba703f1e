// Bayeux §6.1 long-polling: a JSON array POSTed as application/json; the reply is a JSON array.

import { CONNECTION_TYPES, type Message } from '@pushwire/bayeux';
import { ClientError } from '../errors.js';
import { fetchText, RequestLane, resolveFetch } from './http.js';
import type { Transport, TransportInit } from './transport.js';

export class LongPollingTransport implements Transport {
  readonly connectionType = CONNECTION_TYPES.longPolling;
  readonly #init: TransportInit;
  readonly #lane = new RequestLane();
  readonly #inflight = new Set<AbortController>();
  #closed = false;

  constructor(init: TransportInit) {
    this.#init = init;
  }

  send(messages: Message[], timeoutMs: number): Promise<void> {
    return this.#lane.run(messages, async () => {
      if (this.#closed) throw new ClientError('CLIENT_TRANSPORT', 'transport closed', { unsent: true });
      const { url, options, sink } = this.#init;
      const text = await fetchText(
        resolveFetch(options.fetch),
        url,
        {
          method: 'POST',
          headers: { ...options.headers, 'Content-Type': 'application/json;charset=UTF-8' },
          body: JSON.stringify(messages),
          credentials: options.credentials,
          cache: 'no-store',
        },
        timeoutMs,
        this.#inflight,
        this.#init.cookies,
      );
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (err) {
        throw new ClientError(
          'CLIENT_BAD_MESSAGE',
          `malformed JSON in long-polling reply: ${text.slice(0, 80)}`,
          { cause: err },
        );
      }
      sink.receive(parsed, this);
    });
  }

  close(): void {
    this.#closed = true;
    for (const controller of this.#inflight) controller.abort();
    this.#inflight.clear();
  }
}
