// /game: the server owns the world and publishes it 20 times a second on /game/state; this page draws it
// INTERP_DELAY_MS in the past, interpolating between the two states around that moment. When states arrive
// in bursts (short polling: all the ticks of one interval in one poll) there is nothing to interpolate
// between bursts, the players freeze and then jump, and the page says why.

import { CHANNELS, type GamePlayer, type GameState, type GameWelcome } from '../shared/protocol.js';
import { byId, h } from './common/dom.js';
import { params, reason, startBayeuxPage } from './common/page.js';

const INTERP_DELAY_MS = 100;
const BUFFER = 80;
/** A gap between state arrivals above this is a stutter. */
const STUTTER_GAP_MS = 250;

const { technique, client } = startBayeuxPage();

const canvas = byId<HTMLCanvasElement>('field');
const ctx = canvas.getContext('2d')!;
const scores = byId('scores');
const lesson = byId('lesson');
const joinForm = byId<HTMLFormElement>('game-join');

interface Arrived {
  state: GameState;
  at: number;
}
const buffer: Arrived[] = [];
const arrivals: number[] = [];
/** Smallest (arrival - server time) seen: the clock offset plus the fastest delivery. */
let offset = Number.POSITIVE_INFINITY;
let me: GameWelcome | null = null;

client.subscribe(CHANNELS.gameState, (data) => {
  const state = data as GameState;
  const at = Date.now();
  offset = Math.min(offset, at - state.t);
  buffer.push({ state, at });
  if (buffer.length > BUFFER) buffer.shift();
  arrivals.push(at);
  while (arrivals.length > 0 && (arrivals[0] ?? 0) < at - 3000) arrivals.shift();
});

async function join(nick: string): Promise<void> {
  me = await client.remoteCall<GameWelcome>(CHANNELS.gameJoin, { nick });
  joinForm.hidden = true;
  canvas.focus();
}
joinForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const nick = (joinForm.elements.namedItem('nick') as HTMLInputElement).value.trim() || 'player';
  join(nick).catch((err: unknown) => (lesson.textContent = reason(err)));
});
const deepNick = params().get('nick');
if (deepNick) {
  (joinForm.elements.namedItem('nick') as HTMLInputElement).value = deepNick;
  join(deepNick).catch((err: unknown) => (lesson.textContent = reason(err)));
}
addEventListener('pagehide', () => void client.remoteCall(CHANNELS.gameLeave, {}).catch(() => undefined));

// Steering: keys held, or a pointer held on the field (towards it).
const keys = new Set<string>();
let pointer: [number, number] | null = null;
let sent = '0,0';
function direction(): [number, number] {
  if (pointer !== null && me !== null) {
    const self = latest()?.players.find((p) => p.id === me?.id);
    if (self) {
      const dx = pointer[0] - self.x;
      const dy = pointer[1] - self.y;
      const len = Math.hypot(dx, dy);
      return len < 8 ? [0, 0] : [dx / len, dy / len];
    }
  }
  const dx =
    (keys.has('ArrowRight') || keys.has('d') ? 1 : 0) - (keys.has('ArrowLeft') || keys.has('a') ? 1 : 0);
  const dy =
    (keys.has('ArrowDown') || keys.has('s') ? 1 : 0) - (keys.has('ArrowUp') || keys.has('w') ? 1 : 0);
  return [dx, dy];
}
function steer(): void {
  if (me === null) return;
  const [dx, dy] = direction();
  const key = `${dx.toFixed(2)},${dy.toFixed(2)}`;
  if (key === sent) return;
  sent = key;
  client.remoteCall(CHANNELS.gameInput, { dx, dy }).catch(() => undefined);
}
const KEYS = new Set(['ArrowUp', 'ArrowDown', 'ArrowLeft', 'ArrowRight', 'w', 'a', 's', 'd']);
addEventListener('keydown', (e) => {
  if (!KEYS.has(e.key) || e.target instanceof HTMLInputElement) return;
  e.preventDefault();
  keys.add(e.key);
  steer();
});
addEventListener('keyup', (e) => {
  keys.delete(e.key);
  steer();
});
const toWorld = (e: PointerEvent): [number, number] => {
  const r = canvas.getBoundingClientRect();
  return [((e.clientX - r.left) / r.width) * canvas.width, ((e.clientY - r.top) / r.height) * canvas.height];
};
canvas.addEventListener('pointerdown', (e) => {
  canvas.setPointerCapture(e.pointerId);
  pointer = toWorld(e);
  steer();
});
canvas.addEventListener('pointermove', (e) => {
  if (pointer !== null) pointer = toWorld(e);
});
const release = (): void => {
  pointer = null;
  steer();
};
canvas.addEventListener('pointerup', release);
canvas.addEventListener('pointercancel', release);
setInterval(steer, 100);

function latest(): GameState | undefined {
  return buffer[buffer.length - 1]?.state;
}

/** The world at server time `t`: interpolated between the states around it, or the newest one. */
function worldAt(t: number): { players: GamePlayer[]; star: GameState['star'] } | undefined {
  for (let i = buffer.length - 1; i > 0; i--) {
    const b = buffer[i]?.state;
    const a = buffer[i - 1]?.state;
    if (!a || !b || a.t > t) continue;
    if (b.t < t) break;
    const f = b.t === a.t ? 1 : (t - a.t) / (b.t - a.t);
    const before = new Map(a.players.map((p) => [p.id, p]));
    return {
      star: b.star,
      players: b.players.map((p) => {
        const q = before.get(p.id);
        return q ? { ...p, x: q.x + (p.x - q.x) * f, y: q.y + (p.y - q.y) * f } : p;
      }),
    };
  }
  return latest();
}

function draw(): void {
  const w = canvas.width;
  const hgt = canvas.height;
  ctx.fillStyle = '#0f1d2b';
  ctx.fillRect(0, 0, w, hgt);
  ctx.strokeStyle = 'rgba(255,255,255,0.05)';
  ctx.lineWidth = 1;
  for (let x = 0; x <= w; x += 40) {
    ctx.beginPath();
    ctx.moveTo(x, 0);
    ctx.lineTo(x, hgt);
    ctx.stroke();
  }
  for (let y = 0; y <= hgt; y += 40) {
    ctx.beginPath();
    ctx.moveTo(0, y);
    ctx.lineTo(w, y);
    ctx.stroke();
  }
  const world = Number.isFinite(offset) ? worldAt(Date.now() - offset - INTERP_DELAY_MS) : undefined;
  if (world === undefined) {
    ctx.fillStyle = 'rgba(255,255,255,0.7)';
    ctx.font = '600 22px system-ui, sans-serif';
    ctx.textAlign = 'center';
    ctx.fillText(me === null ? 'Pick a name and press Play' : 'Waiting for the first tick…', w / 2, hgt / 2);
    return;
  }
  star(world.star.x, world.star.y);
  for (const p of world.players) {
    ctx.beginPath();
    ctx.fillStyle = p.color;
    ctx.arc(p.x, p.y, 16, 0, Math.PI * 2);
    ctx.fill();
    if (p.id === me?.id) {
      ctx.strokeStyle = '#ffffff';
      ctx.lineWidth = 3;
      ctx.stroke();
    }
    ctx.fillStyle = '#ffffff';
    ctx.font = '600 13px system-ui, sans-serif';
    ctx.textAlign = 'center';
    // Canvas text is drawn as text: a nickname cannot become markup here.
    ctx.fillText(p.nick, p.x, p.y - 24);
  }
  positions = world.players;
}

function star(x: number, y: number): void {
  ctx.beginPath();
  for (let i = 0; i < 10; i++) {
    const r = i % 2 === 0 ? 15 : 6.5;
    const a = (Math.PI / 5) * i - Math.PI / 2;
    ctx.lineTo(x + r * Math.cos(a), y + r * Math.sin(a));
  }
  ctx.closePath();
  ctx.fillStyle = '#f3a712';
  ctx.fill();
}

let positions: GamePlayer[] = [];
function frame(): void {
  draw();
  requestAnimationFrame(frame);
}
requestAnimationFrame(frame);

// Scoreboard (with the drawn positions, for people and for tests) and the lesson, a few times a second.
setInterval(() => {
  const sorted = [...positions].sort((a, b) => b.score - a.score);
  scores.replaceChildren(
    ...sorted.map((p) =>
      h(
        'li',
        {
          'data-testid': 'player',
          'data-nick': p.nick,
          'data-x': Math.round(p.x),
          'data-y': Math.round(p.y),
          'data-me': String(p.id === me?.id),
        },
        h('span', { class: 'swatch-dot', style: `background:${p.color}` }),
        `${p.nick}: ${p.score}`,
      ),
    ),
  );
  let maxGap = 0;
  for (let i = 1; i < arrivals.length; i++)
    maxGap = Math.max(maxGap, (arrivals[i] ?? 0) - (arrivals[i - 1] ?? 0));
  const perSecond = arrivals.length / 3;
  if (arrivals.length < 2) {
    lesson.textContent = 'The server sends the world 20 times a second while someone plays.';
    lesson.className = 'lesson';
  } else if (maxGap > STUTTER_GAP_MS) {
    lesson.textContent =
      `Stutter: states arrive in bursts, with gaps of up to ${Math.round(maxGap)} ms (${perSecond.toFixed(0)} states/s). ` +
      (technique === 'short-polling'
        ? 'Short polling asks once a second, so all the ticks of that second arrive together: the players freeze, then jump. ' +
          'Interpolation cannot draw what has not arrived yet. Try WebSocket.'
        : 'The connection delivers late; interpolation can only hide gaps shorter than its 100 ms delay.');
    lesson.className = 'lesson warn';
  } else {
    lesson.textContent =
      `Smooth: a state every ~${Math.round(1000 / Math.max(1, perSecond))} ms, drawn ${INTERP_DELAY_MS} ms behind the server ` +
      'and interpolated between ticks.';
    lesson.className = 'lesson';
  }
  lesson.dataset.stutter = String(maxGap > STUTTER_GAP_MS);
}, 250);
