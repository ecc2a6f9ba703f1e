// `/`: the four techniques on one screen with what each costs, links to the demos, and a live meter on
// the server clock (/clock) over the technique chosen in the switcher.

import { CHANNELS, type Technique } from '../shared/protocol.js';
import { byId, h } from './common/dom.js';
import { startBayeuxPage } from './common/page.js';

interface Card {
  name: string;
  technique: Technique;
  tag: string;
  tagColor: string;
  quote: string;
  how: string;
  costs: [label: string, value: string, share: number][];
}

const CARDS: Card[] = [
  {
    name: 'Short polling',
    technique: 'short-polling',
    tag: 'wasteful',
    tagColor: '#e4572e',
    quote: '“Responsiveness at the cost of performance. Wasteful in terms of resources.”',
    how: 'Ask every second whether there is news. Most answers are “nothing yet”.',
    costs: [
      ['requests', '1 per interval, news or not', 1],
      ['bytes', 'headers on every empty answer', 0.85],
      ['latency', 'up to one interval', 0.7],
    ],
  },
  {
    name: 'Long polling',
    technique: 'long-polling',
    tag: 'overhead of HTTP',
    tagColor: '#f3a712',
    quote: '“Each time something is returned, a new request is started. Carrying the overhead of HTTP.”',
    how: 'The server holds each request until it has news, then the client asks again.',
    costs: [
      ['requests', '1 per delivery', 0.45],
      ['bytes', 'HTTP headers per delivery', 0.5],
      ['latency', 'one request away', 0.3],
    ],
  },
  {
    name: 'Bayeux',
    technique: 'callback-polling',
    tag: 'protocol',
    tagColor: '#8e44ad',
    quote: '“A protocol for transporting asynchronous messages, with low latency.”',
    how: 'Channels and a negotiated transport: long polling, JSON-P callback polling or WebSocket.',
    costs: [
      ['requests', 'as its transport', 0.4],
      ['bytes', 'small JSON envelopes', 0.35],
      ['latency', 'as its transport', 0.3],
    ],
  },
  {
    name: 'WebSocket',
    technique: 'websocket',
    tag: 'full duplex',
    tagColor: '#43aa8b',
    quote: '“Full-duplex communications channels over a single TCP connection.” (RFC 6455)',
    how: 'One HTTP Upgrade, then minimally framed messages both ways, the moment they exist.',
    costs: [
      ['requests', '1, ever', 0.05],
      ['bytes', '2-14 B framing per message', 0.08],
      ['latency', 'one network trip', 0.1],
    ],
  },
];

// Glyphs every system font has (no emoji font needed), on a coloured tile.
const DEMOS: [href: string, glyph: string, color: string, title: string, text: string][] = [
  ['/chat', 'Aa', '#2e86ab', 'Chat', 'Rooms, presence, typing, recent messages. Mix techniques in one room.'],
  ['/whiteboard', '✎', '#43aa8b', 'Whiteboard', 'Draw together; late joiners get the drawing.'],
  ['/photos', '▦', '#8e44ad', 'Photos', 'Upload a picture; every viewer gets it pushed with a thumbnail.'],
  ['/game', '★', '#f3a712', 'Game', 'A 20 Hz multiplayer world. Watch short polling stutter.'],
];

const { technique, client } = startBayeuxPage();

byId('techniques').replaceChildren(
  ...CARDS.map((c) =>
    h(
      'article',
      { class: 'card technique', 'data-testid': `technique-card-${c.technique}` },
      h('span', { class: 'tag', style: `background:${c.tagColor}22;color:${c.tagColor}` }, c.tag),
      h('h2', {}, c.name),
      h('p', { class: 'quote' }, c.quote),
      h('p', {}, c.how),
      h(
        'ul',
        { class: 'costs', 'aria-label': 'costs' },
        ...c.costs.map(([label, value, share]) =>
          h(
            'li',
            {},
            h('b', {}, label),
            h('span', {}, value),
            h(
              'div',
              { class: 'bar' },
              h('i', { style: `width:${Math.round(share * 100)}%;background:${c.tagColor}` }),
            ),
          ),
        ),
      ),
      h(
        'a',
        { class: 'more', href: `/chat?technique=${c.technique}` },
        `Chat over ${c.name === 'Bayeux' ? 'JSON-P' : c.name.toLowerCase()} →`,
      ),
    ),
  ),
);

byId('demos').replaceChildren(
  ...DEMOS.map(([href, glyph, color, title, text]) =>
    h(
      'a',
      {
        class: 'card demo',
        href: `${href}?technique=${technique}`,
        'data-testid': `demo-link-${title.toLowerCase()}`,
      },
      h('span', { class: 'icon', 'aria-hidden': 'true', style: `background:${color}` }, glyph),
      h('h2', {}, title),
      h('p', {}, text),
    ),
  ),
);

const clock = byId('clock');
client.subscribe(CHANNELS.clock, (data) => {
  const t = (data as { t?: unknown }).t;
  if (typeof t === 'number') clock.textContent = new Date(t).toLocaleTimeString();
});
