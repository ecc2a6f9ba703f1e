// /whiteboard: shared strokes in real time. The pen is sent in pieces while drawing (every PIECE_MS), each
// piece starting where the last ended so the line is continuous; a late joiner asks for the current drawing
// (/service/whiteboard/state) after subscribing, and pieces are merged by id.

import { type BoardEvent, CHANNELS, isBoardClear, PALETTE, type Stroke } from '../shared/protocol.js';
import { byId, h } from './common/dom.js';
import { randomId, reason, startBayeuxPage } from './common/page.js';

const PIECE_MS = 60;
const MAX_PIECE_POINTS = 120;
const WIDTHS = [3, 8, 18] as const;

const { client } = startBayeuxPage();

const canvas = byId<HTMLCanvasElement>('board');
const ctx = canvas.getContext('2d')!;
const count = byId('stroke-count');
let strokes: Stroke[] = [];
const ids = new Set<string>();
let color: string = PALETTE[1];
let width: number = WIDTHS[1];

function paint(stroke: Stroke): void {
  const { points } = stroke;
  ctx.strokeStyle = stroke.color;
  ctx.fillStyle = stroke.color;
  ctx.lineWidth = stroke.width;
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  const x = (i: number): number => (points[i] ?? 0) * canvas.width;
  const y = (i: number): number => (points[i + 1] ?? 0) * canvas.height;
  if (points.length === 2) {
    ctx.beginPath();
    ctx.arc(x(0), y(0), stroke.width / 2, 0, Math.PI * 2);
    ctx.fill();
    return;
  }
  ctx.beginPath();
  ctx.moveTo(x(0), y(0));
  for (let i = 2; i < points.length; i += 2) ctx.lineTo(x(i), y(i));
  ctx.stroke();
}

function redraw(): void {
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  for (const s of strokes) paint(s);
  count.textContent = String(strokes.length);
}

function add(stroke: Stroke): void {
  if (ids.has(stroke.id)) return;
  ids.add(stroke.id);
  strokes.push(stroke);
  paint(stroke);
  count.textContent = String(strokes.length);
}

function wipe(): void {
  strokes = [];
  ids.clear();
  redraw();
}

redraw();

// Toolbar: palette, pen widths, clear for everyone.
const swatches = PALETTE.map((c) => {
  const b = h('button', {
    type: 'button',
    class: 'swatch',
    style: `background:${c}`,
    'aria-label': `colour ${c}`,
    'aria-pressed': String(c === color),
    'data-testid': `color-${c.slice(1)}`,
  });
  b.addEventListener('click', () => {
    color = c;
    for (const s of swatches) s.setAttribute('aria-pressed', String(s === b));
  });
  return b;
});
const widthButtons = WIDTHS.map((w, i) => {
  const b = h(
    'button',
    { type: 'button', class: 'ghost', 'aria-pressed': String(w === width) },
    ['thin', 'medium', 'thick'][i],
  );
  b.addEventListener('click', () => {
    width = w;
    for (const x of widthButtons) x.setAttribute('aria-pressed', String(x === b));
  });
  return b;
});
const clearButton = h(
  'button',
  { type: 'button', class: 'ghost', 'data-testid': 'clear' },
  'Clear for everyone',
);
clearButton.addEventListener('click', () => {
  client.remoteCall(CHANNELS.boardClear, {}).catch((err: unknown) => alertError(reason(err)));
});
byId('toolbar').replaceChildren(...swatches, h('span', { class: 'sep' }), ...widthButtons, clearButton);

function alertError(text: string): void {
  count.parentElement?.setAttribute('title', text);
}

// Drawing: pieces of at most MAX_PIECE_POINTS points, flushed every PIECE_MS.
let pending: number[] | null = null;
let strokeId = '';
let piece = 0;
let flushTimer: ReturnType<typeof setInterval> | undefined;

function point(event: PointerEvent): [number, number] {
  const rect = canvas.getBoundingClientRect();
  const clamp = (v: number): number => Math.min(1, Math.max(0, v));
  return [clamp((event.clientX - rect.left) / rect.width), clamp((event.clientY - rect.top) / rect.height)];
}

function flush(final: boolean): void {
  if (pending === null || pending.length < 2) return;
  if (!final && pending.length < 4) return;
  const stroke: Stroke = { id: `${strokeId}-${piece++}`, color, width, points: pending };
  add(stroke);
  client.remoteCall(CHANNELS.boardStroke, stroke).catch((err: unknown) => alertError(reason(err)));
  // The next piece starts where this one ended.
  pending = final ? null : pending.slice(-2);
}

canvas.addEventListener('pointerdown', (event) => {
  canvas.setPointerCapture(event.pointerId);
  strokeId = randomId().slice(0, 10);
  piece = 0;
  pending = point(event);
  flushTimer = setInterval(() => flush(false), PIECE_MS);
});
canvas.addEventListener('pointermove', (event) => {
  if (pending === null) return;
  const [x, y] = point(event);
  const lx = pending[pending.length - 2] ?? x;
  const ly = pending[pending.length - 1] ?? y;
  // Skip sub-pixel moves: they add bytes, not ink.
  if (Math.hypot((x - lx) * canvas.width, (y - ly) * canvas.height) < 1.5) return;
  pending.push(x, y);
  if (pending.length / 2 >= MAX_PIECE_POINTS) flush(false);
});
const end = (): void => {
  clearInterval(flushTimer);
  flush(true);
  pending = null;
};
canvas.addEventListener('pointerup', end);
canvas.addEventListener('pointercancel', end);

// Live strokes first, then the drawing so far, merged.
// One stream of strokes and clear-board markers, in order (the server keeps it as the board's history).
const live = [
  client.subscribe(CHANNELS.boardStrokes, (data) => {
    const event = data as BoardEvent;
    if (isBoardClear(event)) wipe();
    else add(event);
  }),
];
async function loadState(): Promise<void> {
  await Promise.all(live);
  const state = await client.remoteCall<{ strokes: Stroke[] }>(CHANNELS.boardState, {});
  const known = new Set(state.strokes.map((s) => s.id));
  const extra = strokes.filter((s) => !known.has(s.id));
  strokes = [...state.strokes, ...extra];
  ids.clear();
  for (const s of strokes) ids.add(s.id);
  redraw();
  canvas.dataset.ready = 'true';
}
loadState().catch((err: unknown) => alertError(reason(err)));
client.on('handshake', (_r, again) => {
  if (again) void loadState();
});
