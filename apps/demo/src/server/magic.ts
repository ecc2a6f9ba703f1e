// What an uploaded file IS, from its first bytes, never from its name or its Content-Type (both are the
// sender's claim). Signatures: PNG (ISO/IEC 15948 §5.2, 8 bytes), JPEG (JFIF/EXIF start with the SOI marker
// FF D8 then a marker FF xx), GIF (GIF87a / GIF89a), WebP (RIFF container: "RIFF" size "WEBP").

import type { PhotoType } from '../shared/protocol.js';

const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function startsWith(bytes: Uint8Array, prefix: readonly number[], at = 0): boolean {
  if (bytes.length < at + prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[at + i] !== prefix[i]) return false;
  return true;
}

function ascii(text: string): number[] {
  return [...text].map((c) => c.charCodeAt(0));
}

/** The image type the bytes carry, or null when they are not a PNG, JPEG, GIF or WebP image. */
export function sniffImageType(bytes: Uint8Array): PhotoType | null {
  if (startsWith(bytes, PNG)) return 'image/png';
  // SOI (FF D8) followed by the first segment's marker (FF, then not 00/FF).
  if (bytes.length >= 4 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) {
    const marker = bytes[3] ?? 0;
    if (marker !== 0x00 && marker !== 0xff) return 'image/jpeg';
  }
  if (startsWith(bytes, ascii('GIF87a')) || startsWith(bytes, ascii('GIF89a'))) return 'image/gif';
  if (startsWith(bytes, ascii('RIFF')) && startsWith(bytes, ascii('WEBP'), 8)) return 'image/webp';
  return null;
}

/** A short human description of what the bytes look like, for the refusal message. */
export function describeBytes(bytes: Uint8Array): string {
  if (bytes.length === 0) return 'an empty file';
  const head = bytes.subarray(0, 512);
  let printable = 0;
  for (const b of head) if (b === 0x09 || b === 0x0a || b === 0x0d || (b >= 0x20 && b < 0x7f)) printable++;
  if (printable === head.length) return 'text';
  if (startsWith(bytes, ascii('%PDF'))) return 'a PDF document';
  if (startsWith(bytes, [0x50, 0x4b, 0x03, 0x04])) return 'a ZIP archive';
  return 'binary data of an unknown kind';
}
