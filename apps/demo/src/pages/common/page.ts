// What every demo page shares: the technique from the URL (?technique=...), the technique switcher (links
// that keep the rest of the query, so deep links stay deep), the meter, and a Bayeux client whose traffic
// the meter counts.

import {
  BAYEUX_TECHNIQUES,
  type BayeuxTechnique,
  CHANNELS,
  isTechnique,
  PATHS,
  TECHNIQUE_LABELS,
  TECHNIQUES,
  type Technique,
} from '../../shared/protocol.js';
import { byId, h } from './dom.js';
import { Meter } from './meter.js';
import { type Client, pushwire, type WebSocketConstructor } from './pushwire.js';

/** Where the server mounted Bayeux (it writes it into <body data-bayeux>). */
export function bayeuxPath(): string {
  return document.body.dataset.bayeux ?? PATHS.bayeux;
}

/** Ms between round-trip probes through /service/echo. */
const RTT_PROBE_MS = 3000;

export function params(): URLSearchParams {
  return new URLSearchParams(location.search);
}

export function techniqueFromUrl(allowed: readonly Technique[] = TECHNIQUES): Technique {
  const t = params().get('technique');
  return isTechnique(t) && allowed.includes(t) ? t : 'websocket';
}

/** Links to this page with another technique, keeping the other parameters. */
export function renderSwitcher(current: Technique, allowed: readonly Technique[]): void {
  const root = document.getElementById('switcher');
  if (root === null) return;
  const links = allowed.map((t) => {
    const q = params();
    q.set('technique', t);
    return h(
      'a',
      {
        href: `${location.pathname}?${q}`,
        class: t === current ? 'chip active' : 'chip',
        'aria-current': t === current ? 'true' : undefined,
        'data-testid': `technique-${t}`,
      },
      TECHNIQUE_LABELS[t],
    );
  });
  root.replaceChildren(h('span', { class: 'switcher-label' }, 'Technique'), ...links);
}

export function createMeter(technique: Technique): Meter {
  return new Meter(technique, byId('meter'), bayeuxPath());
}

/**
 * The start of a Bayeux-only page: its technique from the URL (any but raw WebSocket), the switcher, the
 * meter, and a client on that technique.
 */
export function startBayeuxPage(): { technique: BayeuxTechnique; meter: Meter; client: Client } {
  const technique = techniqueFromUrl(BAYEUX_TECHNIQUES) as BayeuxTechnique;
  renderSwitcher(technique, BAYEUX_TECHNIQUES);
  const meter = createMeter(technique);
  return { technique, meter, client: connectBayeux(technique, meter) };
}

/** A Bayeux client on exactly one technique, counted by the meter, probing the round trip. */
export function connectBayeux(technique: BayeuxTechnique, meter: Meter, handshakeExt?: object): Client {
  const { Client } = pushwire();
  const client = new Client(`${location.origin}${bayeuxPath()}`, {
    transports: [technique],
    // Every handshake (a re-handshake too) says it again: e.g. the chat's nickname for presence.
    onBeforeHandshake:
      handshakeExt === undefined
        ? undefined
        : (message) => {
            message.ext = { ...(message.ext as Record<string, unknown> | undefined), ...handshakeExt };
          },
    fetch: meter.fetch,
    // The DOM's WebSocket types its handlers with `this`; the client's constructor type is the WHATWG shape.
    WebSocket: meter.WebSocket as unknown as WebSocketConstructor,
    shortPollingInterval: 1000,
  });
  client.addExtension({
    incoming(message) {
      if (!message.channel.startsWith('/meta/') && !message.channel.startsWith('/service/')) meter.received();
      return message;
    },
  });
  client.on('connected', () => meter.setStatus('connected'));
  client.on('reconnecting', () => meter.setStatus('reconnecting'));
  client.on('disconnected', () => meter.setStatus('disconnected'));
  const probe = async (): Promise<void> => {
    const start = performance.now();
    try {
      await client.remoteCall(CHANNELS.echo, { t: Date.now() }, { timeout: 10_000 });
      meter.setRtt(performance.now() - start);
    } catch {
      // A lost probe shows as a stale value; the status cell tells why.
    }
  };
  client.connect().then(probe, () => undefined);
  setInterval(probe, RTT_PROBE_MS);
  // Tell the server at once when the page goes away, so presence updates without waiting for expiry.
  addEventListener('pagehide', () => void client.disconnect());
  return client;
}

/** A failure reply's message for a person (service failures carry `data.message`). */
export function reason(err: unknown): string {
  const reply = (err as { reply?: { data?: { message?: unknown }; error?: unknown } }).reply;
  if (typeof reply?.data?.message === 'string') return reply.data.message;
  if (err instanceof Error) return err.message;
  return String(err);
}

export function randomId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(9));
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_');
}
