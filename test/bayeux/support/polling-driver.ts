// long-polling and short polling by hand (Bayeux §6.1): POST an `application/json` array to the mount,
// read a JSON array back. Short polling is the same transport with `advice: {timeout: 0}` on every
// /meta/connect the test did not give advice to (Bayeux ref C "timeout advice field"), so the server
// answers each connect at once.

import type { Message } from '@pushwire/bayeux';
import { CookieJar, type HttpResponse, request } from './http.js';
import { DeliveryLog, type Driver, parseBatch, type TransportName } from './transport.js';

export class PollingDriver implements Driver {
  readonly transport: TransportName;
  /** One browser's cookies; pass the same jar to several drivers to play several tabs of one browser. */
  readonly jar: CookieJar;
  private readonly log = new DeliveryLog();
  /** The last raw HTTP response, for header assertions. */
  last: HttpResponse | undefined;

  private readonly url: string;

  constructor(url: string, transport: 'long-polling' | 'short-polling', jar = new CookieJar()) {
    this.url = url;
    this.jar = jar;
    this.transport = transport;
  }

  get deliveries(): Message[] {
    return this.log.deliveries;
  }

  async send(messages: Message | Message[]): Promise<Message[]> {
    const batch = (Array.isArray(messages) ? messages : [messages]).map((m) => this.shape(m));
    const res = await request('POST', this.url, {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(batch),
      jar: this.jar,
    });
    this.last = res;
    if (res.status !== 200) throw new HttpStatusError(res);
    const replies = parseBatch(res.body, `POST ${this.url}`);
    this.log.record(replies);
    return replies;
  }

  waitForDelivery(match: (m: Message) => boolean, ms: number): Promise<Message> {
    return this.log.wait(match, ms);
  }

  async close(): Promise<void> {}

  private shape(m: Message): Message {
    if (this.transport !== 'short-polling' || m.channel !== '/meta/connect' || m.advice) return m;
    return { ...m, advice: { timeout: 0 } };
  }
}

/** A non-200 answer; the scenarios that expect one (Faye's 401-style refusals) inspect `response`. */
export class HttpStatusError extends Error {
  readonly response: HttpResponse;
  constructor(response: HttpResponse) {
    super(`HTTP ${response.status}: ${response.body.slice(0, 300)}`);
    this.response = response;
  }
}
