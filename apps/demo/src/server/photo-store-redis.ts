// The full-size photos in the Redis the engine uses (photo-store.ts says why they are not channel history):
// any node serves any photo. Three keys under one hash tag (one Cluster slot): a LIST of ids oldest first, a
// HASH id -> `type\nbase64`, and the sum of the stored values' lengths. Adding and evicting is ONE Lua script
// (redis-scripts.ts PHOTO_PUT), so concurrent uploads on several nodes cannot take the store past its bounds.
// The port returns strings (RESP bulk strings as ioredis decodes them), so the bytes travel base64:
// `maxPhotoStoreBytes` counts what Redis stores, i.e. about 3/4 of it is image bytes.

import type { RedisPort } from '@pushwire/redis';
import { PHOTO_TYPES, type PhotoType } from '../shared/protocol.js';
import type { PhotoBytes, PhotoStoreLimits, StoredPhoto } from './photo-store.js';
import { PHOTO_PUT } from './redis-scripts.js';

export class RedisPhotoStore implements PhotoBytes {
  readonly #port: RedisPort;
  readonly #limits: PhotoStoreLimits;
  readonly #keys: readonly [order: string, data: string, bytes: string];

  /** `prefix`: the engine's key prefix, so one `--redis-prefix` is one cluster, photos included. */
  constructor(port: RedisPort, prefix: string, limits: PhotoStoreLimits) {
    this.#port = port;
    this.#limits = limits;
    const tag = `${prefix}:demo:{photos}`;
    this.#keys = [`${tag}:order`, `${tag}:data`, `${tag}:bytes`];
  }

  async add(id: string, photo: StoredPhoto): Promise<void> {
    const value = `${photo.type}\n${photo.bytes.toString('base64')}`;
    await this.#port.batch([
      {
        script: PHOTO_PUT,
        keys: this.#keys,
        args: [id, value, this.#limits.photosKept, this.#limits.maxPhotoStoreBytes],
      },
    ]);
  }

  async get(id: string): Promise<StoredPhoto | undefined> {
    const [value] = await this.#port.batch([['HGET', this.#keys[1], id]]);
    if (typeof value !== 'string') return undefined;
    const cut = value.indexOf('\n');
    const type = value.slice(0, cut) as PhotoType;
    // Only what PHOTO_PUT wrote is there; a type the demo never stores means the key is not ours.
    if (cut < 0 || !PHOTO_TYPES.includes(type)) return undefined;
    return { type, bytes: Buffer.from(value.slice(cut + 1), 'base64') };
  }

  /** Photos and stored bytes now (for tests and the README's figures). */
  async usage(): Promise<{ count: number; bytes: number }> {
    const [count, bytes] = await this.#port.batch([
      ['LLEN', this.#keys[0]],
      ['GET', this.#keys[2]],
    ]);
    return { count: Number(count), bytes: Number(bytes ?? 0) };
  }
}
