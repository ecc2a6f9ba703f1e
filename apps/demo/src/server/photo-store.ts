// Where the full-size photo bytes live. The announcements (name, size, thumbnail) are the history of
// /photos/new in the Bayeux engine; the bytes are kept beside it, because megabytes of images do not belong in
// a message bus's history (the memory engine bounds ALL history to 64 MiB, chat rooms included):
//   - MemoryPhotoStore: this process only (one node, `npm start`).
//   - RedisPhotoStore (photo-store-redis.ts): in the Redis the engine uses, so any node serves any photo.
// Both keep the last `photosKept` photos in at most `maxPhotoStoreBytes`, the oldest evicted first (the
// newest always stays: one photo is at most `maxPhotoBytes`).

import type { PhotoType } from '../shared/protocol.js';

export interface StoredPhoto {
  type: PhotoType;
  bytes: Buffer;
}

export interface PhotoStoreLimits {
  photosKept: number;
  maxPhotoStoreBytes: number;
}

/** The full-size bytes by photo id. */
export interface PhotoBytes {
  add(id: string, photo: StoredPhoto): void | Promise<void>;
  get(id: string): StoredPhoto | undefined | Promise<StoredPhoto | undefined>;
}

/** The full-size photos this process took (see the top of the file). */
export class MemoryPhotoStore implements PhotoBytes {
  readonly #photos = new Map<string, StoredPhoto>();
  #bytes = 0;
  readonly #limits: PhotoStoreLimits;

  constructor(limits: PhotoStoreLimits) {
    this.#limits = limits;
  }

  get size(): number {
    return this.#photos.size;
  }

  get bytes(): number {
    return this.#bytes;
  }

  add(id: string, photo: StoredPhoto): void {
    this.#photos.set(id, photo);
    this.#bytes += photo.bytes.length;
    // A Map iterates in insertion order: the first key is the oldest.
    for (const [oldId, old] of this.#photos) {
      const over =
        this.#photos.size > this.#limits.photosKept || this.#bytes > this.#limits.maxPhotoStoreBytes;
      if (!over || this.#photos.size === 1) break;
      this.#photos.delete(oldId);
      this.#bytes -= old.bytes.length;
    }
  }

  get(id: string): StoredPhoto | undefined {
    return this.#photos.get(id);
  }
}
