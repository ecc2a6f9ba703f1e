// Photo sharing: uploads over HTTP POST (bounded, typed by their bytes), announced to every viewer on
// /photos/new with a thumbnail, and served back at /photos/<id>. What a late joiner sees is the HISTORY of
// /photos/new (the last `photosKept` announcements, thumbnails inside), so every node of a cluster shows
// the same gallery. The full-size bytes are kept beside it in a PhotoBytes store (photo-store.ts: this
// process's memory, or the engine's Redis so that any node serves any photo).

import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BayeuxServer, ChannelOptions } from '@pushwire/server';
import { CHANNELS, PATHS, type Photo, type PhotoType } from '../shared/protocol.js';
import { BodyTooLarge, readBody } from './http-body.js';
import { describeBytes, sniffImageType } from './magic.js';
import type { PhotoBytes } from './photo-store.js';
import type { RateLimiter } from './rate.js';
import { cleanNick } from './text.js';

/** The photo side of the demo: the bytes store and the upload rate (per client address: every upload is
 * pushed to every viewer, so a flood would be multiplied). */
export interface PhotoDesk {
  store: PhotoBytes;
  uploads: RateLimiter;
}

export interface PhotoLimits {
  uploadRatePer10s: number;
  maxPhotoBytes: number;
  maxThumbnailBytes: number;
  photosKept: number;
  maxPhotoStoreBytes: number;
  maxNickLength: number;
}

/** Multipart overhead allowed on top of the photo and thumbnail (boundaries, part headers, the nick). */
const FORM_OVERHEAD = 16 * 1024;
const MAX_NAME = 80;

/** Bytes of one announcement besides its thumbnail (ids, names, the message envelope), generously. */
const ANNOUNCEMENT_OVERHEAD = 2048;

/** The server's `channels` option: /photos/new keeps the last photosKept announcements, whatever their thumbnails. */
export function photoChannels(limits: PhotoLimits): Record<string, ChannelOptions> {
  // A thumbnail travels as a base64 data: URL (4/3 of its bytes).
  const each = Math.ceil((limits.maxThumbnailBytes * 4) / 3) + ANNOUNCEMENT_OVERHEAD;
  return {
    [CHANNELS.photosNew]: { history: { size: limits.photosKept, maxBytes: limits.photosKept * each } },
  };
}

/** The photos a late joiner gets, oldest first: the history of /photos/new. */
export async function recentPhotos(hub: Pick<BayeuxServer, 'history'>): Promise<Photo[]> {
  const { messages } = await hub.history(CHANNELS.photosNew);
  return messages.map((m) => m.data as Photo);
}

export class UploadRefused extends Error {
  readonly status: 400 | 413 | 415;
  constructor(status: 400 | 413 | 415, message: string) {
    super(message);
    this.status = status;
  }
}

interface Upload {
  bytes: Buffer;
  type: PhotoType;
  name: string;
  nick: string;
  thumbnail: string | null;
}

function typeOf(bytes: Buffer, what: string): PhotoType {
  const type = sniffImageType(bytes);
  if (type === null) {
    throw new UploadRefused(
      415,
      `${what} is ${describeBytes(bytes)}, not an image: only PNG, JPEG, GIF and WebP images are accepted ` +
        '(the type is read from the file itself, not from its name)',
    );
  }
  return type;
}

function thumbnailUrl(bytes: Buffer, limits: PhotoLimits): string | null {
  if (bytes.length === 0 || bytes.length > limits.maxThumbnailBytes) return null;
  const type = sniffImageType(bytes);
  return type === null ? null : `data:${type};base64,${bytes.toString('base64')}`;
}

function cleanName(name: string): string {
  // Only shown via textContent, but kept short and free of control characters anyway.
  const cleaned = name
    .replace(/[\p{Cc}\p{Cf}]/gu, '')
    .trim()
    .slice(0, MAX_NAME);
  return cleaned === '' ? 'photo' : cleaned;
}

/**
 * Parses an upload: `multipart/form-data` with a `photo` file (and optional `thumbnail` file and `nick`
 * field), or a raw image body (`?nick=&name=`), e.g. `curl --data-binary @cat.png`.
 */
export async function parseUpload(req: IncomingMessage, limits: PhotoLimits): Promise<Upload> {
  const contentType = req.headers['content-type'] ?? '';
  const multipart = /^multipart\/form-data\s*;/i.test(contentType);
  const cap = multipart
    ? limits.maxPhotoBytes + limits.maxThumbnailBytes + FORM_OVERHEAD
    : limits.maxPhotoBytes;
  let body: Buffer;
  try {
    body = await readBody(req, cap);
  } catch (err) {
    if (err instanceof BodyTooLarge) {
      throw new UploadRefused(413, `the photo is larger than ${limits.maxPhotoBytes} bytes`);
    }
    throw new UploadRefused(400, 'the upload was cut off');
  }
  const query = new URL(req.url ?? '/', 'http://x').searchParams;
  if (!multipart) {
    return {
      bytes: body,
      type: typeOf(body, 'the file'),
      name: cleanName(query.get('name') ?? 'photo'),
      nick: cleanNick(query.get('nick') ?? '', limits.maxNickLength) ?? 'anonymous',
      thumbnail: body.length <= limits.maxThumbnailBytes ? thumbnailUrl(body, limits) : null,
    };
  }
  let form: FormData;
  try {
    // undici's multipart parser, on a body already bounded in bytes.
    form = await new Response(new Uint8Array(body), { headers: { 'content-type': contentType } }).formData();
  } catch {
    throw new UploadRefused(400, 'the upload is not a valid multipart/form-data body');
  }
  const photo = form.get('photo');
  if (photo === null || typeof photo === 'string') {
    throw new UploadRefused(400, "the form has no 'photo' file");
  }
  const bytes = Buffer.from(await photo.arrayBuffer());
  if (bytes.length > limits.maxPhotoBytes) {
    throw new UploadRefused(413, `the photo is larger than ${limits.maxPhotoBytes} bytes`);
  }
  const type = typeOf(bytes, `'${cleanName(photo.name)}'`);
  const thumb = form.get('thumbnail');
  const thumbBytes =
    thumb !== null && typeof thumb !== 'string' ? Buffer.from(await thumb.arrayBuffer()) : null;
  const nick = form.get('nick');
  return {
    bytes,
    type,
    name: cleanName(photo.name),
    nick: (typeof nick === 'string' ? cleanNick(nick, limits.maxNickLength) : null) ?? 'anonymous',
    thumbnail: thumbBytes !== null ? thumbnailUrl(thumbBytes, limits) : thumbnailUrl(bytes, limits),
  };
}

export interface PhotoPublisher {
  publish(channel: string, data: unknown): Promise<number>;
}

/** POST /api/photos: stores, announces, answers 201 {photo} or 4xx {error}. */
export async function handleUpload(
  req: IncomingMessage,
  res: ServerResponse,
  desk: PhotoDesk,
  limits: PhotoLimits,
  bayeux: PhotoPublisher,
): Promise<void> {
  if (!desk.uploads.take(req.socket.remoteAddress ?? '')) {
    req.resume();
    sendJson(res, 429, { error: `slow down: at most ${limits.uploadRatePer10s} uploads in 10 seconds` });
    return;
  }
  let upload: Upload;
  try {
    upload = await parseUpload(req, limits);
  } catch (err) {
    const refused = err instanceof UploadRefused ? err : new UploadRefused(400, 'bad upload');
    sendJson(res, refused.status, { error: refused.message });
    return;
  }
  const id = randomBytes(9).toString('base64url');
  const meta: Photo = {
    id,
    nick: upload.nick,
    name: upload.name,
    type: upload.type,
    size: upload.bytes.length,
    thumbnail: upload.thumbnail,
    url: `${PATHS.photo}${id}`,
    ts: Date.now(),
  };
  // Stored before it is announced: a viewer that fetches it on the announcement finds it on any node.
  await desk.store.add(id, { type: upload.type, bytes: upload.bytes });
  await bayeux.publish(CHANNELS.photosNew, meta);
  sendJson(res, 201, { photo: meta });
}

/** GET /photos/<id>: the bytes with the type they were checked to be; sandboxed so nothing in them runs. */
export async function servePhoto(
  req: IncomingMessage,
  res: ServerResponse,
  store: PhotoBytes,
  id: string,
): Promise<void> {
  const photo = await store.get(id);
  if (!photo) {
    res
      .writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' })
      .end('no such photo (only the last few are kept)\n');
    return;
  }
  res.writeHead(200, {
    'Content-Type': photo.type,
    'Content-Length': photo.bytes.length,
    'X-Content-Type-Options': 'nosniff',
    'Content-Security-Policy': "default-src 'none'; sandbox",
    'Cache-Control': 'public, max-age=3600, immutable',
  });
  res.end(req.method === 'HEAD' ? undefined : photo.bytes);
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
  });
  res.end(text);
}
