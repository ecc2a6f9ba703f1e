// Bayeux over plain HTTP for the fault tests: node:http requests with any header (Host, Origin, Referer,
// Sec-Fetch-Site, X-Forwarded-For) and a choice of connection (a fresh socket per request, or one kept-alive
// agent so several requests share one TCP connection).
import { type Agent, request } from 'node:http';
import type { Message } from '@pushwire/bayeux';

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** The JSON reply (long-polling) or the callback's argument (callback-polling); [] otherwise. */
  messages: Message[];
}

export interface RequestOptions {
  headers?: Record<string, string>;
  /** Default: a fresh connection (agent: false). */
  agent?: Agent;
  method?: string;
}

function parse(text: string, type: string | undefined): Message[] {
  if (type?.startsWith('application/json') === true) return JSON.parse(text) as Message[];
  if (type?.startsWith('text/javascript') === true) {
    const m = /^\/\*\*\/[\w$.]+\(([\s\S]*)\);$/.exec(text);
    if (m !== null) return JSON.parse(m[1] as string) as Message[];
  }
  return [];
}

/** One HTTP request to 127.0.0.1:port; resolves with the whole answer. */
export function httpRequest(
  port: number,
  path: string,
  body: string | undefined,
  options: RequestOptions = {},
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: options.method ?? (body === undefined ? 'GET' : 'POST'),
        agent: options.agent ?? false,
        headers: {
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
          ...options.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text,
            messages: parse(text, res.headers['content-type']),
          });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** POSTs Bayeux messages to the mount. */
export function postMessages(
  port: number,
  messages: Message[],
  options: RequestOptions = {},
): Promise<HttpAnswer> {
  return httpRequest(port, '/bayeux', JSON.stringify(messages), options);
}

/** A callback-polling GET (JSON-P) of `messages`. */
export function jsonpGet(
  port: number,
  messages: Message[],
  options: RequestOptions = {},
): Promise<HttpAnswer> {
  const q = new URLSearchParams({ message: JSON.stringify(messages), jsonp: 'cb' });
  return httpRequest(port, `/bayeux?${q}`, undefined, options);
}

export const HANDSHAKE: Message = {
  channel: '/meta/handshake',
  version: '1.0',
  supportedConnectionTypes: ['long-polling', 'callback-polling', 'websocket'],
  id: 'h',
};
