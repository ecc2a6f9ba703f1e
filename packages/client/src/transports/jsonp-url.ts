// Bayeux §6.2 callback-polling request URLs: `?jsonp=<callback>&message=<urlencoded JSON array>`.
// Batches are split so every URL stays under `maxURILength` (CometD's default 2000 characters); a single
// message that cannot fit is refused, never truncated.

import type { Message } from '@pushwire/bayeux';

export interface JsonpChunk {
  url: string;
  messages: Message[];
}

export function jsonpUrl(base: string, callback: string, messages: Message[]): string {
  const sep = base.includes('?') ? '&' : '?';
  return `${base}${sep}jsonp=${encodeURIComponent(callback)}&message=${encodeURIComponent(JSON.stringify(messages))}`;
}

/**
 * Splits a batch into URLs no longer than `maxLength`. Returns the chunks and the messages too large to
 * send alone.
 */
export function splitJsonp(
  base: string,
  callback: string,
  messages: Message[],
  maxLength: number,
): { chunks: JsonpChunk[]; tooLarge: Message[] } {
  const chunks: JsonpChunk[] = [];
  const tooLarge: Message[] = [];
  let current: Message[] = [];
  for (const message of messages) {
    const candidate = [...current, message];
    if (jsonpUrl(base, callback, candidate).length <= maxLength) {
      current = candidate;
      continue;
    }
    if (current.length > 0) chunks.push({ url: jsonpUrl(base, callback, current), messages: current });
    current = [];
    if (jsonpUrl(base, callback, [message]).length <= maxLength) current = [message];
    else tooLarge.push(message);
  }
  if (current.length > 0) chunks.push({ url: jsonpUrl(base, callback, current), messages: current });
  return { chunks, tooLarge };
}

const JSONP_BODY_RE = /^\s*(?:\/\*\*\/)?\s*([A-Za-z_$][\w$.]*)\s*\(([\s\S]*)\)\s*;?\s*$/;

/**
 * Extracts the JSON payload of a JSONP reply `/**\/name(<json>);` without evaluating any script:
 * the callback name must be the one we sent, and the argument must be plain JSON.
 */
export function parseJsonpBody(body: string, callback: string): { ok: true; value: unknown } | { ok: false } {
  const match = JSONP_BODY_RE.exec(body);
  if (match === null || match[1] !== callback || match[2] === undefined) return { ok: false };
  try {
    return { ok: true, value: JSON.parse(match[2]) };
  } catch {
    return { ok: false };
  }
}
