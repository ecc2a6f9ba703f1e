import { describe, expect, it } from 'vitest';
import { describeBytes, sniffImageType } from '../src/server/magic.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

describe('sniffImageType (the bytes decide, not the name)', () => {
  it.each([
    ['PNG signature', '89 50 4e 47 0d 0a 1a 0a 00 00 00 0d 49 48 44 52', 'image/png'],
    ['JPEG/JFIF (SOI + APP0)', 'ff d8 ff e0 00 10 4a 46 49 46', 'image/jpeg'],
    ['JPEG/EXIF (SOI + APP1)', 'ff d8 ff e1 00 10 45 78 69 66', 'image/jpeg'],
    ['GIF87a', Buffer.from('GIF87a\x01\x00').toString('hex'), 'image/gif'],
    ['GIF89a', Buffer.from('GIF89a\x01\x00').toString('hex'), 'image/gif'],
    [
      'WebP (RIFF....WEBP)',
      `${Buffer.from('RIFF').toString('hex')}24000000${Buffer.from('WEBPVP8 ').toString('hex')}`,
      'image/webp',
    ],
  ])('%s', (_name, bytes, type) => {
    expect(sniffImageType(hex(bytes))).toBe(type);
  });

  it.each([
    ['text', Buffer.from('hello, I am not a picture\n').toString('hex')],
    ['PNG signature cut one byte short', '89 50 4e 47 0d 0a 1a'],
    ['PNG signature with one byte wrong', '89 50 4e 47 0d 0a 1a 0b'],
    ['JPEG SOI alone', 'ff d8'],
    ['JPEG SOI then a stuffed byte (not a marker)', 'ff d8 ff 00'],
    ['GIF90a (no such version)', Buffer.from('GIF90a').toString('hex')],
    [
      'RIFF WAVE audio',
      `${Buffer.from('RIFF').toString('hex')}24000000${Buffer.from('WAVEfmt ').toString('hex')}`,
    ],
    [
      'SVG (script-capable, refused)',
      Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>').toString('hex'),
    ],
    ['empty', ''],
  ])('refuses %s', (_name, bytes) => {
    expect(sniffImageType(hex(bytes))).toBeNull();
  });
});

describe('describeBytes', () => {
  it('names what a refused file looks like', () => {
    expect(describeBytes(Buffer.from('just text\n'))).toBe('text');
    expect(describeBytes(new Uint8Array())).toBe('an empty file');
    expect(describeBytes(Buffer.from('%PDF-1.7\n\x00\x01\x02'))).toBe('a PDF document');
    expect(describeBytes(hex('50 4b 03 04 14 00 00 00'))).toBe('a ZIP archive');
    expect(describeBytes(hex('00 01 02 03 fe'))).toBe('binary data of an unknown kind');
  });
});
