// Cleaning of user text (nicknames, messages). Pages show everything with textContent, so this is not the
// XSS defence; it keeps names readable and bounded: no control or format characters (bidi overrides, zero
// width), whitespace collapsed, length capped in characters (code points).

const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu;

function capCodePoints(text: string, max: number): string {
  const points = [...text];
  return points.length > max ? points.slice(0, max).join('') : text;
}

/** A nickname, or null when nothing printable is left. Longer than `max` characters is refused (null). */
export function cleanNick(raw: unknown, max: number): string | null {
  if (typeof raw !== 'string') return null;
  const nick = raw.replace(INVISIBLE, '').replace(/\s+/g, ' ').trim();
  if (nick === '' || [...nick].length > max) return null;
  return nick;
}

/** A chat message text, or null when empty or longer than `max` characters. */
export function cleanText(raw: unknown, max: number): string | null {
  if (typeof raw !== 'string') return null;
  const text = raw.replace(/[\p{Cc}\p{Zl}\p{Zp}]/gu, ' ').trim();
  if (text === '' || [...text].length > max) return null;
  return capCodePoints(text, max);
}
