// Incremental UTF-8 validation (RFC 3629 section 4 grammar; RFC 6455 8.1: a text message that is not valid
// UTF-8 fails the connection with 1007). The state survives across calls so a text message is checked piece
// by piece as frames (and parts of frames) arrive, and the first invalid byte is reported at once instead of
// at the end of the message (Autobahn 6.4.x "fail fast").
import { isUtf8 } from 'node:buffer';

/** Pieces longer than this are validated natively (a call costs more than a short JS loop). */
const NATIVE_THRESHOLD = 256;

export class Utf8Validator {
  /** Continuation bytes still expected for the current code point. */
  need = 0;
  /** Allowed range of the next continuation byte (narrower after E0, ED, F0, F4 to reject overlongs,
   *  surrogates U+D800-DFFF and code points above U+10FFFF). */
  lo = 0x80;
  hi = 0xbf;

  /**
   * Checks `buf[start, end)`; returns false as soon as the piece holds a byte that cannot start or continue
   * valid UTF-8. Long pieces that start on a code point boundary are checked natively up to the last
   * boundary, and only their (possibly incomplete) last sequence goes through the state machine.
   */
  write(buf: Uint8Array, start = 0, end = buf.length): boolean {
    if (this.need === 0 && end - start > NATIVE_THRESHOLD) {
      // Step back over at most 3 continuation bytes to the lead byte of the last sequence.
      let i = end - 1;
      let k = 0;
      while (k < 3 && i > start && (buf[i]! & 0xc0) === 0x80) {
        i--;
        k++;
      }
      const cut = buf[i]! >= 0xc0 ? i : end;
      if (!isUtf8(buf.subarray(start, cut))) return this.fail();
      start = cut;
    }
    return this.step(buf, start, end);
  }

  private step(buf: Uint8Array, start: number, end: number): boolean {
    let need = this.need;
    let lo = this.lo;
    let hi = this.hi;
    let i = start;
    while (i < end) {
      const b = buf[i++]!;
      if (need !== 0) {
        if (b < lo || b > hi) return this.fail();
        lo = 0x80;
        hi = 0xbf;
        need--;
        continue;
      }
      if (b < 0x80) {
        // ASCII run: the common case, no state to update.
        while (i < end && buf[i]! < 0x80) i++;
        continue;
      }
      if (b < 0xc2) return this.fail(); // stray continuation byte, or C0/C1 overlong lead
      if (b < 0xe0) {
        need = 1;
      } else if (b < 0xf0) {
        need = 2;
        if (b === 0xe0)
          lo = 0xa0; // overlong 3-byte form
        else if (b === 0xed) hi = 0x9f; // U+D800..U+DFFF surrogates
      } else if (b < 0xf5) {
        need = 3;
        if (b === 0xf0)
          lo = 0x90; // overlong 4-byte form
        else if (b === 0xf4) hi = 0x8f; // above U+10FFFF
      } else {
        return this.fail(); // F5..FF never appear in UTF-8
      }
    }
    this.need = need;
    this.lo = lo;
    this.hi = hi;
    return true;
  }

  /** True when the input so far ends on a code point boundary (the message may end here). */
  get complete(): boolean {
    return this.need === 0;
  }

  reset(): void {
    this.need = 0;
    this.lo = 0x80;
    this.hi = 0xbf;
  }

  private fail(): false {
    this.reset();
    return false;
  }
}

/** Whole-buffer check, native when Node provides it. */
export function isValidUtf8(buf: Uint8Array): boolean {
  return isUtf8(buf);
}
