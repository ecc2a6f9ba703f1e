// Bayeux §6.2 callback-polling (JSONP). In browsers a <script> tag calls a one-shot global callback; in
// Node (no document) the same URL is fetched with GET and only the JSON argument of the callback is parsed.

import { CONNECTION_TYPES, type Message } from '@pushwire/bayeux';
import { asUnsent, ClientError } from '../errors.js';
import { fetchText, RequestLane, resolveFetch } from './http.js';
import { jsonpUrl, parseJsonpBody, splitJsonp } from './jsonp-url.js';
import type { Transport, TransportInit } from './transport.js';

let callbackCounter = 0;
const nextCallbackName = (): string => `__pushwire_jsonp_${++callbackCounter}`;
const NAME_PLACEHOLDER = '_'.repeat(34);

type Globals = Record<string, unknown>;

export class CallbackPollingTransport implements Transport {
  readonly connectionType = CONNECTION_TYPES.callbackPolling;
  readonly #init: TransportInit;
  readonly #lane = new RequestLane();
  readonly #inflight = new Set<AbortController>();
  readonly #cancels = new Set<() => void>();
  #closed = false;

  constructor(init: TransportInit) {
    this.#init = init;
  }

  send(messages: Message[], timeoutMs: number): Promise<void> {
    return this.#lane.run(messages, async () => {
      const { url, options, sink } = this.#init;
      // Split with a placeholder at least as long as any generated callback name, so the real URL fits too.
      const { chunks, tooLarge } = splitJsonp(url, NAME_PLACEHOLDER, messages, options.maxURILength);
      for (const [index, chunk] of chunks.entries()) {
        if (this.#closed) throw new ClientError('CLIENT_TRANSPORT', 'transport closed', { unsent: true });
        // Each chunk gets its own callback name so concurrent scripts never collide.
        const name = nextCallbackName();
        const chunkUrl = jsonpUrl(url, name, chunk.messages);
        let value: unknown;
        try {
          value = hasDocument()
            ? await this.#viaScript(chunkUrl, name, timeoutMs)
            : await this.#viaGet(chunkUrl, name, timeoutMs);
        } catch (err) {
          // "Not sent" holds only for this chunk and the ones after it: earlier chunks reached the server.
          if (index > 0 && err instanceof ClientError && err.unsent) {
            throw asUnsent(
              err,
              chunks.slice(index).flatMap((c) => c.messages.map((m) => m.id ?? '')),
            );
          }
          throw err;
        }
        sink.receive(value, this);
      }
      // The messages that fit were sent; only the oversized ones fail (CometD fails them the same way).
      if (tooLarge.length > 0) {
        throw new ClientError(
          'CLIENT_MESSAGE_TOO_LARGE',
          `a message does not fit in a ${options.maxURILength}-character callback-polling URL (maxURILength)`,
          { messageIds: tooLarge.map((m) => m.id ?? '') },
        );
      }
    });
  }

  async #viaGet(chunkUrl: string, name: string, timeoutMs: number): Promise<unknown> {
    const { options } = this.#init;
    const body = await fetchText(
      resolveFetch(options.fetch),
      chunkUrl,
      { method: 'GET', headers: { ...options.headers }, credentials: options.credentials, cache: 'no-store' },
      timeoutMs,
      this.#inflight,
      this.#init.cookies,
    );
    const parsed = parseJsonpBody(body, name);
    if (!parsed.ok) {
      throw new ClientError('CLIENT_BAD_MESSAGE', `malformed callback-polling reply: ${body.slice(0, 80)}`);
    }
    return parsed.value;
  }

  #viaScript(chunkUrl: string, name: string, timeoutMs: number): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const globals = globalThis as unknown as Globals;
      const script = document.createElement('script');
      let done = false;
      const finish = (answered = false): void => {
        done = true;
        clearTimeout(timer);
        this.#cancels.delete(cancel);
        script.remove();
        // One global per poll must not pile up over days: drop it once the script has run. After a
        // timeout or error the script may still run late, so it must find a harmless function instead.
        if (answered) delete globals[name];
        else globals[name] = () => undefined;
      };
      const cancel = (): void => {
        if (done) return;
        finish();
        reject(new ClientError('CLIENT_TRANSPORT', 'transport closed'));
      };
      const timer = setTimeout(() => {
        if (done) return;
        finish();
        reject(new ClientError('CLIENT_TIMEOUT', `no callback-polling reply within ${timeoutMs} ms`));
      }, timeoutMs);
      globals[name] = (value: unknown) => {
        if (done) return;
        finish(true);
        resolve(value);
      };
      script.onerror = () => {
        if (done) return;
        finish();
        reject(
          // A browser says nothing more: refused, HTTP error or a network failure all look alike.
          new ClientError(
            'CLIENT_NETWORK',
            `callback-polling script failed to load: ${chunkUrl.slice(0, 80)}`,
          ),
        );
      };
      this.#cancels.add(cancel);
      script.src = chunkUrl;
      script.async = true;
      document.head.appendChild(script);
    });
  }

  close(): void {
    this.#closed = true;
    for (const controller of this.#inflight) controller.abort();
    this.#inflight.clear();
    for (const cancel of [...this.#cancels]) cancel();
  }
}

function hasDocument(): boolean {
  return typeof document !== 'undefined' && typeof document.createElement === 'function';
}
