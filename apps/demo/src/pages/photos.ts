// /photos: upload over HTTP POST (multipart: the photo, a thumbnail made here with a canvas, the name);
// the server checks the bytes and pushes the photo to every viewer on /photos/new; a late joiner gets the
// last few from /service/photos/recent.

import { CHANNELS, PATHS, type Photo } from '../shared/protocol.js';
import { byId, h, timeOf } from './common/dom.js';
import { formatBytes } from './common/meter.js';
import { reason, startBayeuxPage } from './common/page.js';

/** Longest side of the thumbnail made before upload. */
const THUMB_SIZE = 320;
const SHOWN = 24;

const { meter, client } = startBayeuxPage();

const gallery = byId('gallery');
const status = byId('upload-status');
const form = byId<HTMLFormElement>('upload-form');
const shown = new Set<string>();
const empty = h(
  'p',
  { class: 'empty', 'data-testid': 'gallery-empty' },
  'No photos yet. Share one, and everyone on this page gets it at once.',
);
gallery.append(empty);

function show(photo: Photo, fresh: boolean): void {
  if (shown.has(photo.id)) return;
  shown.add(photo.id);
  empty.remove();
  // Only our own server's paths and data:image URLs (checked by the server) ever become a src.
  const full = photo.url.startsWith(PATHS.photo) ? photo.url : '#';
  const src = photo.thumbnail?.startsWith('data:image/') ? photo.thumbnail : full;
  const figure = h(
    'figure',
    { class: 'card photo', 'data-testid': 'photo', 'data-id': photo.id },
    h(
      'a',
      { href: full, target: '_blank', rel: 'noopener' },
      h('img', { src, alt: photo.name, loading: 'lazy', 'data-testid': 'photo-thumb' }),
    ),
    h(
      'figcaption',
      {},
      h('strong', { 'data-testid': 'photo-nick' }, photo.nick),
      h('span', { title: photo.name }, `${photo.name} · ${formatBytes(photo.size)} · ${timeOf(photo.ts)}`),
    ),
  );
  if (fresh) gallery.prepend(figure);
  else gallery.append(figure);
  while (gallery.children.length > SHOWN) gallery.lastElementChild?.remove();
}

function setStatus(text: string, kind: 'good' | 'bad' | '' = ''): void {
  status.textContent = text;
  status.className = `status ${kind}`;
}

/** A small JPEG of the picture, or null when the browser cannot decode it (the server decides then). */
async function thumbnail(file: File): Promise<Blob | null> {
  try {
    const bitmap = await createImageBitmap(file);
    const scale = Math.min(1, THUMB_SIZE / Math.max(bitmap.width, bitmap.height));
    const canvas = document.createElement('canvas');
    canvas.width = Math.max(1, Math.round(bitmap.width * scale));
    canvas.height = Math.max(1, Math.round(bitmap.height * scale));
    canvas.getContext('2d')?.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    bitmap.close();
    return await new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', 0.8));
  } catch {
    return null;
  }
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const input = form.elements.namedItem('photo') as HTMLInputElement;
  const file = input.files?.[0];
  if (!file) return setStatus('Choose a picture first.', 'bad');
  setStatus(`Uploading ${file.name}…`);
  const body = new FormData();
  body.set('photo', file, file.name);
  const thumb = await thumbnail(file);
  if (thumb !== null) body.set('thumbnail', thumb, 'thumbnail.jpg');
  body.set('nick', (form.elements.namedItem('nick') as HTMLInputElement).value);
  try {
    const response = await meter.fetch(PATHS.upload, { method: 'POST', body });
    const answer = (await response.json()) as { photo?: Photo; error?: string };
    if (!response.ok || !answer.photo) {
      setStatus(`Refused (${response.status}): ${answer.error ?? 'unknown error'}`, 'bad');
      return;
    }
    setStatus(`Shared ${answer.photo.name}: everyone watching has it now.`, 'good');
    form.reset();
  } catch (err) {
    setStatus(`Upload failed: ${reason(err)}`, 'bad');
  }
});

const live = client.subscribe(CHANNELS.photosNew, (data) => show(data as Photo, true));
async function loadRecent(): Promise<void> {
  await live;
  const { photos } = await client.remoteCall<{ photos: Photo[] }>(CHANNELS.photosRecent, {});
  // Oldest first from the server; the newest goes on top.
  for (const p of [...photos].reverse()) show(p, false);
  gallery.dataset.ready = 'true';
}
loadRecent().catch((err: unknown) => setStatus(reason(err), 'bad'));
