// Test helpers: a real HTTP server on 127.0.0.1:0 with a Bayeux server attached, and raw Bayeux requests.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Message } from '@pushwire/bayeux';
import { type BayeuxServer, type BayeuxServerOptions, createBayeuxServer } from '../../src/index.js';
import { TestEngine } from './test-engine.js';

export interface Harness {
  bayeux: BayeuxServer;
  engine: TestEngine;
  http: Server;
  url: string;
  origin: string;
  close(): Promise<void>;
}

export async function startServer(
  options: BayeuxServerOptions = {},
  engine = new TestEngine(),
): Promise<Harness> {
  const bayeux = createBayeuxServer({ engine, ...options });
  const http = createServer();
  bayeux.attach(http);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  return {
    bayeux,
    engine,
    http,
    origin,
    url: `${origin}${bayeux.mount}`,
    async close() {
      await bayeux.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

/** POSTs JSON (or a raw body) and returns the status, headers and parsed reply. */
export async function post(
  url: string,
  body: unknown,
  init: { headers?: Record<string, string>; raw?: boolean } = {},
): Promise<{ status: number; headers: Headers; messages: Message[]; text: string }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...init.headers },
    body: init.raw === true ? (body as string) : JSON.stringify(body),
  });
  const text = await res.text();
  let messages: Message[] = [];
  if (res.headers.get('content-type')?.startsWith('application/json'))
    messages = JSON.parse(text) as Message[];
  return { status: res.status, headers: res.headers, messages, text };
}

export const HANDSHAKE = {
  channel: '/meta/handshake',
  version: '1.0',
  supportedConnectionTypes: ['long-polling', 'callback-polling'],
  id: '1',
} as const;

/** Handshakes over long-polling and returns the client id (and the cookie, if one was set). */
export async function handshake(
  url: string,
  extra: Partial<Message> = {},
): Promise<{ clientId: string; cookie: string | undefined }> {
  const { messages, headers, status, text } = await post(url, [{ ...HANDSHAKE, ...extra }]);
  const reply = messages[0];
  if (reply?.successful !== true || typeof reply.clientId !== 'string') {
    throw new Error(`handshake failed: ${status} ${text}`);
  }
  const setCookie = headers.get('set-cookie');
  return { clientId: reply.clientId, cookie: setCookie?.split(';')[0] };
}

/** Handshake + first connect (answered at once) so the next connect is held. */
export async function connectedClient(url: string, headers: Record<string, string> = {}): Promise<string> {
  const { messages } = await post(url, [{ ...HANDSHAKE }], { headers });
  const clientId = messages[0]?.clientId as string;
  await post(url, [{ channel: '/meta/connect', clientId, connectionType: 'long-polling', id: 'c0' }], {
    headers,
  });
  return clientId;
}

export function connect(clientId: string, id = 'c1', extra: Partial<Message> = {}): Message {
  return { channel: '/meta/connect', clientId, connectionType: 'long-polling', id, ...extra };
}

/** Resolves once `predicate` holds, polling every few ms; fails after `ms`. */
export async function until(predicate: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}
