// Photo uploads over real sockets: limits crossed by one, types by their bytes, the rate per address.
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { recentPhotos } from '../src/server/photos.js';
import type { Photo } from '../src/shared/protocol.js';
import { demo, demoPerFile, png, waitFor } from './helpers.js';

const MAX_PHOTO = 4096;
const MAX_THUMB = 1024;

const fixture = demoPerFile({
  uploadRatePer10s: 1000,
  maxPhotoBytes: MAX_PHOTO,
  maxThumbnailBytes: MAX_THUMB,
});
const { client } = fixture;

async function post(path: string, body: Uint8Array | FormData, headers: Record<string, string> = {}) {
  const res = await fetch(`${fixture.server.url.slice(0, -1)}${path}`, {
    method: 'POST',
    body: body instanceof FormData ? body : new Uint8Array(body),
    headers,
  });
  return { status: res.status, body: (await res.json()) as { error?: string; photo?: Photo } };
}

describe('photo upload', () => {
  it('maxPhotoBytes: exactly the limit is accepted, one byte more is 413', async () => {
    const ok = await post('/api/photos?nick=ann&name=a.png', png(MAX_PHOTO));
    expect(ok.status).toBe(201);
    expect(ok.body.photo).toMatchObject({ nick: 'ann', name: 'a.png', type: 'image/png', size: MAX_PHOTO });
    const over = await post('/api/photos?nick=ann', png(MAX_PHOTO + 1));
    expect(over.status).toBe(413);
    expect(over.body.error).toMatch(/larger than 4096 bytes/);
  });

  it('a body longer than its chunked stream claims is cut at the limit (no Content-Length)', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${fixture.server.url}api/photos`, {
        method: 'POST',
        headers: { 'Transfer-Encoding': 'chunked' },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.write(png(MAX_PHOTO));
      req.end(Buffer.alloc(1));
    });
    expect(status).toBe(413);
  });

  it('a text file named .png is refused with 415 and says why', async () => {
    const form = new FormData();
    form.set('photo', new Blob(['I am text, not a picture\n'], { type: 'image/png' }), 'cat.png');
    const res = await post('/api/photos', form);
    expect(res.status).toBe(415);
    expect(res.body.error).toBe(
      "'cat.png' is text, not an image: only PNG, JPEG, GIF and WebP images are accepted (the type is read from the file itself, not from its name)",
    );
  });

  it('pushes a multipart upload to viewers with its thumbnail, keeps it for late joiners, and serves it sandboxed', async () => {
    const viewer = client('websocket');
    const got: Photo[] = [];
    await viewer.subscribe('/photos/new', (p) => got.push(p as Photo));
    const jpeg = Buffer.concat([Buffer.from('ffd8ffe000104a464946', 'hex'), Buffer.alloc(500, 1)]);
    const form = new FormData();
    form.set('photo', new Blob([new Uint8Array(png(3000))]), 'big.png');
    form.set('thumbnail', new Blob([new Uint8Array(jpeg)]), 'thumb.jpg');
    form.set('nick', '<img src=x onerror=alert(1)>');
    const res = await post('/api/photos', form);
    expect(res.status).toBe(201);
    const pushed = await waitFor(() => got.find((p) => p.id === res.body.photo?.id), 'the pushed photo');
    expect(pushed.nick).toBe('<img src=x onerror=alert(1)>');
    expect(pushed.thumbnail).toBe(`data:image/jpeg;base64,${jpeg.toString('base64')}`);
    const { photos } = await client().remoteCall<{ photos: Photo[] }>('/service/photos/recent', {});
    expect(photos.map((p) => p.id)).toContain(pushed.id);
    const file = await fetch(`${fixture.server.url.slice(0, -1)}${pushed.url}`);
    expect(file.headers.get('content-type')).toBe('image/png');
    expect(file.headers.get('content-security-policy')).toContain('sandbox');
    expect(Buffer.from(await file.arrayBuffer()).equals(png(3000))).toBe(true);
  });

  it('maxThumbnailBytes: a thumbnail one byte over is dropped (the photo is kept); a non-image one too', async () => {
    const thumbAt = async (thumb: Buffer) => {
      const form = new FormData();
      form.set('photo', new Blob([new Uint8Array(png(2000))]), 'p.png');
      form.set('thumbnail', new Blob([new Uint8Array(thumb)]), 't.png');
      const res = await post('/api/photos', form);
      expect(res.status).toBe(201);
      return res.body.photo?.thumbnail;
    };
    expect(await thumbAt(png(MAX_THUMB))).toMatch(/^data:image\/png;base64,/);
    expect(await thumbAt(png(MAX_THUMB + 1))).toBeNull();
    expect(await thumbAt(Buffer.from('<svg onload=alert(1)>'))).toBeNull();
  });

  it('uploadRatePer10s crossed by one is 429, per client address', async () => {
    const limited = await demo({ uploadRatePer10s: 2 });
    try {
      const up = () =>
        fetch(`${limited.url}api/photos?nick=a`, { method: 'POST', body: new Uint8Array(png(100)) });
      expect((await up()).status).toBe(201);
      expect((await up()).status).toBe(201);
      const third = await up();
      expect(third.status).toBe(429);
      expect(await third.json()).toEqual({ error: 'slow down: at most 2 uploads in 10 seconds' });
      expect(await recentPhotos(limited.bayeux)).toHaveLength(2);
    } finally {
      await limited.close();
    }
  });

  it('refuses a GET on the upload path and unknown photos', async () => {
    expect((await fetch(`${fixture.server.url}api/photos`)).status).toBe(405);
    expect((await fetch(`${fixture.server.url}photos/nope`)).status).toBe(404);
  });
});
