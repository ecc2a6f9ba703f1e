// RFC 6455 1.3 / 4.2.2: the accept key proves the server read the client's key and speaks WebSocket.
import { createHash, randomBytes } from 'node:crypto';

/** RFC 6455 1.3: the GUID appended to the key before hashing. */
export const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** base64(SHA-1(key + GUID)). */
export function acceptKey(key: string): string {
  return createHash('sha1')
    .update(key + WEBSOCKET_GUID)
    .digest('base64');
}

/** A fresh Sec-WebSocket-Key: "a randomly selected 16-byte value ... base64-encoded" (RFC 6455 4.1). */
export function generateKey(): string {
  return randomBytes(16).toString('base64');
}

/** RFC 6455 4.2.1 item 5: the key must decode to exactly 16 bytes (24 base64 characters ending in "=="). */
export function isValidKey(key: string): boolean {
  return /^[+/0-9A-Za-z]{22}==$/.test(key);
}
