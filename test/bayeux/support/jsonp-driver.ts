// callback-polling by hand (Bayeux §6.2): GET <mount>?message=<url-encoded JSON>&jsonp=<callback>, and
// the answer is `/**/callback([...]);` as text/javascript. The driver checks the hardened envelope on
// every response, then parses the array inside it.

import type { Message } from '@pushwire/bayeux';
import { CookieJar, type HttpResponse, request } from './http.js';
import { HttpStatusError } from './polling-driver.js';
import { DeliveryLog, type Driver, parseBatch } from './transport.js';

export class JsonpDriver implements Driver {
  readonly transport = 'callback-polling' as const;
  readonly jar: CookieJar;
  private readonly log = new DeliveryLog();
  private calls = 0;
  last: HttpResponse | undefined;

  private readonly url: string;

  constructor(url: string, jar = new CookieJar()) {
    this.url = url;
    this.jar = jar;
  }

  get deliveries(): Message[] {
    return this.log.deliveries;
  }

  async send(messages: Message | Message[]): Promise<Message[]> {
    const batch = Array.isArray(messages) ? messages : [messages];
    // Callback names like the CometD JS client's (`_cometd_jsonp_N`): a fresh one per request.
    const callback = `_pw_jsonp_${++this.calls}`;
    const query = new URLSearchParams({ message: JSON.stringify(batch), jsonp: callback });
    const res = await request('GET', `${this.url}?${query}`, { jar: this.jar });
    this.last = res;
    if (res.status !== 200) throw new HttpStatusError(res);
    const replies = parseBatch(unwrapJsonp(res.body, callback), `GET ${this.url} (jsonp)`);
    this.log.record(replies);
    return replies;
  }

  waitForDelivery(match: (m: Message) => boolean, ms: number): Promise<Message> {
    return this.log.wait(match, ms);
  }

  async close(): Promise<void> {}
}

/** Returns the JSON text between `callback(` and `);`, accepting the `/**\/` guard prefix Faye and we send. */
export function unwrapJsonp(body: string, callback: string): string {
  const text = body.trim();
  const start = text.startsWith('/**/') ? 4 : 0;
  const head = `${callback}(`;
  if (!text.startsWith(head, start) || !text.endsWith(');')) {
    throw new Error(`not a ${callback}(...) JSONP body: ${text.slice(0, 200)}`);
  }
  return text.slice(start + head.length, -2);
}
