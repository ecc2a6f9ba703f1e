// The cost meter on every page: what the chosen technique costs, counted in the page itself. HTTP requests
// and bytes are counted where they leave and arrive: a counting fetch (long/short polling), a counting
// WebSocket (its frames' payloads; the upgrade is one HTTP request), and the resource timing entries of the
// JSON-P scripts (callback-polling). Bytes are payload bytes: HTTP headers come on top of every request.

import { TECHNIQUE_LABELS, type Technique } from '../../shared/protocol.js';
import { h } from './dom.js';

const encoder = new TextEncoder();

function sizeOf(data: unknown): number {
  if (typeof data === 'string') return encoder.encode(data).length;
  if (data instanceof ArrayBuffer) return data.byteLength;
  if (ArrayBuffer.isView(data)) return data.byteLength;
  if (data instanceof Blob) return data.size;
  if (data instanceof FormData) {
    let n = 0;
    for (const [, v] of data) n += typeof v === 'string' ? encoder.encode(v).length : v.size;
    return n;
  }
  return 0;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(2)} MB`;
}

type Field = 'technique' | 'status' | 'messages' | 'requests' | 'bytes-up' | 'bytes-down' | 'rtt';

export class Meter {
  readonly technique: Technique;
  messages = 0;
  requests = 0;
  up = 0;
  down = 0;
  rtt: number | null = null;
  status = 'connecting';
  readonly #fields = new Map<Field, HTMLElement>();
  #scheduled = false;

  readonly #mount: string;

  /** `mount`: the Bayeux path, whose JSON-P scripts are counted. */
  constructor(technique: Technique, root: HTMLElement, mount: string) {
    this.technique = technique;
    this.#mount = mount;
    const cell = (field: Field, label: string, title: string): HTMLElement => {
      const value = h('strong', { 'data-testid': `meter-${field}` }, '0');
      this.#fields.set(field, value);
      return h('div', { class: 'meter-cell', title }, h('span', {}, label), value);
    };
    root.replaceChildren(
      h('div', { class: 'meter-title' }, 'Cost meter'),
      cell('technique', 'technique', 'How this page talks to the server'),
      cell('status', 'status', 'Connection state'),
      cell('messages', 'messages in', 'Pushed messages this page received'),
      cell('requests', 'HTTP requests', 'Requests this page made (a WebSocket upgrade counts once)'),
      cell('bytes-up', 'bytes up', 'Payload bytes sent (HTTP headers come on top of every request)'),
      cell('bytes-down', 'bytes down', 'Payload bytes received'),
      cell('rtt', 'round trip', 'Latency of a message to /service/echo and back'),
    );
    this.#observeScripts();
    this.render();
  }

  /** fetch that counts each request, its body, and the body of its response. */
  readonly fetch: typeof fetch = async (input, init) => {
    this.requests++;
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    this.up += encoder.encode(
      new URL(url, location.href).pathname + new URL(url, location.href).search,
    ).length;
    this.up += sizeOf(init?.body);
    this.changed();
    const response = await fetch(input, init);
    response
      .clone()
      .arrayBuffer()
      .then((body) => {
        this.down += body.byteLength;
        this.changed();
      })
      .catch(() => undefined);
    return response;
  };

  /** A WebSocket that counts its frames' payloads both ways (the opening handshake is one request). */
  get WebSocket(): typeof WebSocket {
    const meter = this;
    return class CountingWebSocket extends WebSocket {
      constructor(url: string | URL, protocols?: string | string[]) {
        super(url, protocols);
        meter.requests++;
        meter.changed();
        this.addEventListener('message', (event: MessageEvent) => {
          meter.down += sizeOf(event.data);
          meter.changed();
        });
      }
      override send(data: string | ArrayBuffer | Blob | ArrayBufferView<ArrayBuffer>): void {
        meter.up += sizeOf(data);
        meter.changed();
        super.send(data);
      }
    };
  }

  /** JSON-P polls are <script> loads: resource timing is the only place their size shows. */
  #observeScripts(): void {
    if (typeof PerformanceObserver === 'undefined') return;
    performance.setResourceTimingBufferSize?.(2000);
    const observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries() as PerformanceResourceTiming[]) {
        if (entry.initiatorType !== 'script' || !new URL(entry.name).pathname.startsWith(this.#mount))
          continue;
        this.requests++;
        const url = new URL(entry.name);
        this.up += encoder.encode(url.pathname + url.search).length;
        this.down += entry.encodedBodySize;
      }
      performance.clearResourceTimings();
      this.changed();
    });
    observer.observe({ type: 'resource', buffered: true });
  }

  received(count = 1): void {
    this.messages += count;
    this.changed();
  }

  setStatus(status: string): void {
    this.status = status;
    this.changed();
  }

  setRtt(ms: number): void {
    this.rtt = ms;
    this.changed();
  }

  changed(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    requestAnimationFrame(() => {
      this.#scheduled = false;
      this.render();
    });
    // Background tabs get no animation frames: render on a timer too.
    setTimeout(() => {
      if (this.#scheduled) {
        this.#scheduled = false;
        this.render();
      }
    }, 250);
  }

  render(): void {
    const set = (field: Field, text: string, raw?: number): void => {
      const el = this.#fields.get(field);
      if (!el) return;
      el.textContent = text;
      if (raw !== undefined) el.dataset.value = String(raw);
    };
    set('technique', TECHNIQUE_LABELS[this.technique]);
    this.#fields.get('technique')?.setAttribute('data-value', this.technique);
    set('status', this.status);
    this.#fields.get('status')?.setAttribute('data-state', this.status);
    set('messages', String(this.messages), this.messages);
    set('requests', String(this.requests), this.requests);
    set('bytes-up', formatBytes(this.up), this.up);
    set('bytes-down', formatBytes(this.down), this.down);
    set(
      'rtt',
      this.rtt === null ? '…' : `${Math.round(this.rtt)} ms`,
      this.rtt === null ? undefined : Math.round(this.rtt),
    );
  }
}
