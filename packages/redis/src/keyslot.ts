// Redis Cluster hash slots (Redis Cluster spec, "Keys distribution model"): HASH_SLOT = CRC16(key) mod 16384,
// where only the hash tag is hashed when the key holds `{...}` with at least one character between the
// FIRST `{` and the first `}` after it. CRC16 is the XMODEM variant (poly 0x1021, init 0). Computed here
// (not asked of the server) so a batch is split by slot before it is sent, and a script whose keys span
// slots is refused before Redis can answer CROSSSLOT.

export const SLOTS = 16384;

const TABLE = (() => {
  const t = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 8;
    for (let j = 0; j < 8; j++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    t[i] = crc;
  }
  return t;
})();

function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const b of bytes) crc = ((crc << 8) & 0xffff) ^ (TABLE[((crc >> 8) ^ b) & 0xff] as number);
  return crc;
}

/** The part of `key` that is hashed: its hash tag when it has a non-empty one, else the whole key. */
export function hashTag(key: string): string {
  const open = key.indexOf('{');
  if (open === -1) return key;
  const close = key.indexOf('}', open + 1);
  if (close === -1 || close === open + 1) return key;
  return key.slice(open + 1, close);
}

/** The Cluster slot of `key` (bytes are UTF-8, as Redis sees them). */
export function keySlot(key: string): number {
  return crc16(Buffer.from(hashTag(key), 'utf8')) % SLOTS;
}
