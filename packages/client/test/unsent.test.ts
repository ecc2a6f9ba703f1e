// ClientError.unsent: which transport failures prove the batch never reached the server. Publishes are
// re-sent after such failures even with retryPublishes false, so a wrong "unsent" would duplicate them.

import type { Message } from '@pushwire/bayeux';
import { describe, expect, it } from 'vitest';
import { ClientError } from '../src/errors.js';
import { resolveOptions } from '../src/options.js';
import { fetchText } from '../src/transports/http.js';
import type { TransportSink } from '../src/transports/transport.js';
import { WebSocketTransport } from '../src/transports/websocket.js';
import type { WebSocketLike } from '../src/transports/websocket-api.js';

const batch: Message[] = [{ channel: '/p', data: 1, id: '1' }];

function sink(): TransportSink & { failures: Error[] } {
  const failures: Error[] = [];
  return { failures, receive: () => undefined, failed: (_t, e) => failures.push(e), report: () => undefined };
}

/** A scripted socket: `behaviour` decides whether it opens or closes first. */
function fakeSocket(behaviour: 'open' | 'close-before-open') {
  const sockets: (WebSocketLike & { sent: string[]; fireClose(): void })[] = [];
  const Ctor = function FakeSocket() {
    const socket = {
      readyState: 0,
      sent: [] as string[],
      onopen: null as ((ev: unknown) => void) | null,
      onmessage: null as ((ev: { data: unknown }) => void) | null,
      onclose: null as ((ev: { code: number; reason: string | unknown }) => void) | null,
      onerror: null as ((ev: unknown) => void) | null,
      send(data: string) {
        socket.sent.push(data);
      },
      close() {
        socket.readyState = 3;
      },
      fireClose() {
        socket.readyState = 3;
        socket.onclose?.({ code: 1006, reason: '' });
      },
    };
    sockets.push(socket);
    queueMicrotask(() => {
      if (behaviour === 'open') {
        socket.readyState = 1;
        socket.onopen?.({});
      } else socket.fireClose();
    });
    return socket;
  };
  return { sockets, Ctor: Ctor as unknown as NonNullable<ReturnType<typeof resolveOptions>['WebSocket']> };
}

describe('ClientError.unsent', () => {
  it('a websocket that closes before opening fails the batch as unsent', async () => {
    const { Ctor } = fakeSocket('close-before-open');
    const transport = new WebSocketTransport({
      url: 'http://h/bayeux',
      options: resolveOptions({ WebSocket: Ctor }),
      sink: sink(),
      cookies: null,
    });
    const error = await transport.send(batch).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ClientError);
    expect((error as ClientError).unsent).toBe(true);
  });

  it('a websocket that closes after the batch was written is not unsent (the server may have it)', async () => {
    const { Ctor, sockets } = fakeSocket('open');
    const s = sink();
    const transport = new WebSocketTransport({
      url: 'http://h/bayeux',
      options: resolveOptions({ WebSocket: Ctor }),
      sink: s,
      cookies: null,
    });
    await transport.send(batch);
    expect(sockets[0]?.sent).toHaveLength(1);
    sockets[0]?.fireClose();
    expect(s.failures).toHaveLength(1);
    expect((s.failures[0] as ClientError).unsent).toBe(false);
  });

  it('fetch: a refused connection is unsent, a reset one and a timeout are not', async () => {
    const failing = (code: string) =>
      (async () => {
        throw new TypeError('fetch failed', { cause: Object.assign(new Error(code), { code }) });
      }) as unknown as typeof fetch;
    const refused = await fetchText(failing('ECONNREFUSED'), 'http://h/', {}, 1000, new Set(), null).catch(
      (err: unknown) => err,
    );
    expect(refused).toMatchObject({ code: 'CLIENT_CONNECTION_REFUSED', unsent: true });
    const reset = await fetchText(failing('ECONNRESET'), 'http://h/', {}, 1000, new Set(), null).catch(
      (err: unknown) => err,
    );
    expect(reset).toMatchObject({ code: 'CLIENT_NETWORK', unsent: false });
    const hanging = ((_url: string, init: RequestInit) =>
      new Promise((_resolve, reject) => {
        init.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
      })) as unknown as typeof fetch;
    const timeout = await fetchText(hanging, 'http://h/', {}, 20, new Set(), null).catch(
      (err: unknown) => err,
    );
    expect(timeout).toMatchObject({ code: 'CLIENT_TIMEOUT', unsent: false });
  });
});
