// What nodes tell each other over their pub/sub channels (`<prefix>:w:<nodeId>`), as one line of text:
//   w <id> <id> ...             messages were queued for these clients (held here): wake them
//   d <reason> <n> <bytes> <id> ...  destroyed elsewhere, with n queued messages (bytes): tell the sink
//   x <deadline> <id> ...       the sweeper found them idle: expire those not held here (deadline in ms)
// Client ids are alphanumeric (Bayeux §2.4), so a space separates them unambiguously.

import type { DestroyReason, DropInfo } from '@pushwire/server';

export type NodeMessage =
  | { readonly kind: 'wake'; readonly ids: readonly string[] }
  | {
      readonly kind: 'destroyed';
      readonly reason: DestroyReason;
      readonly lost: DropInfo;
      readonly ids: readonly string[];
    }
  | { readonly kind: 'check-expired'; readonly deadline: number; readonly ids: readonly string[] };

const REASONS: ReadonlySet<string> = new Set<DestroyReason>([
  'disconnect',
  'expired',
  'slow',
  'server-close',
]);

export function nodeMessage(m: NodeMessage): string {
  if (m.kind === 'wake') return `w ${m.ids.join(' ')}`;
  if (m.kind === 'destroyed') return `d ${m.reason} ${m.lost.dropped} ${m.lost.bytes} ${m.ids.join(' ')}`;
  return `x ${m.deadline} ${m.ids.join(' ')}`;
}

/** Parses a node message; undefined when it is not one (reported by the engine, never thrown). */
export function decodeNodeMessage(text: string): NodeMessage | undefined {
  const parts = text.split(' ');
  const tag = parts[0];
  if (tag === 'w' && parts.length >= 2) return { kind: 'wake', ids: parts.slice(1) };
  const arg = parts[1];
  if (arg === undefined || parts.length < 3) return undefined;
  if (tag === 'd' && REASONS.has(arg) && parts.length >= 5) {
    const dropped = Number(parts[2]);
    const bytes = Number(parts[3]);
    if (!Number.isInteger(dropped) || !Number.isInteger(bytes)) return undefined;
    return { kind: 'destroyed', reason: arg as DestroyReason, lost: { dropped, bytes }, ids: parts.slice(4) };
  }
  const deadline = Number(arg);
  if (tag === 'x' && Number.isFinite(deadline))
    return { kind: 'check-expired', deadline, ids: parts.slice(2) };
  return undefined;
}
