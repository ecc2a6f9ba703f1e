// The registry of held /meta/connect requests on THIS node: at most one per client (Bayeux §4.2: one
// outstanding connect per client, so a newer connect releases the held one at once). How many each browser
// holds (CometD maxSessionsPerBrowser) is counted in the ENGINE (Engine.setBrowserHold), over every node: a
// browser's tabs may reach different nodes behind a balancer. What a hold does (its timer, its answer, its
// put-back, its browser count) lives in hold.ts; this file only knows who is held here.

import type { DestroyReason } from './engine/engine.js';
import { HoldTimers } from './hold-timers.js';

/** Why a held connect was answered. */
export type ReleaseReason = 'timeout' | 'wake' | 'replaced' | 'destroyed' | 'closing';

/** What the registry needs of a held connect (hold.ts's HeldConnect). */
export interface HeldEntry {
  readonly clientId: string;
  /** Answers the connect; idempotent. Calls `forget(this)` on the registry. */
  release(reason: ReleaseReason, detail?: DestroyReason): void;
  /** Messages were queued: answer within `windowMs` (0: now), so later ones can ride the same reply. */
  wake(windowMs: number): void;
}

export class HeldConnects {
  readonly #held = new Map<string, HeldEntry>();
  /** The holds' deadlines: one timer per duration, not one per hold (hold-timers.ts). */
  readonly timers = new HoldTimers();

  /** Registers a hold, releasing the client's older one first as 'replaced' (Bayeux §4.2). */
  add(entry: HeldEntry): void {
    this.release(entry.clientId, 'replaced');
    this.#held.set(entry.clientId, entry);
  }

  /** Called by a hold once released: it no longer counts. */
  forget(entry: HeldEntry): void {
    const clientId = entry.clientId;
    if (this.#held.get(clientId) !== entry) return;
    this.#held.delete(clientId);
  }

  /** Answers the held connect of `clientId`, if any. */
  release(clientId: string, reason: ReleaseReason, detail?: DestroyReason): boolean {
    const entry = this.#held.get(clientId);
    if (entry === undefined) return false;
    entry.release(reason, detail);
    return true;
  }

  /** Messages were queued for `clientId`: its held connect, if any, answers within `windowMs`. */
  wake(clientId: string, windowMs: number): boolean {
    const entry = this.#held.get(clientId);
    if (entry === undefined) return false;
    entry.wake(windowMs);
    return true;
  }

  /** Answers every held connect (server close). */
  releaseAll(reason: ReleaseReason): void {
    for (const entry of [...this.#held.values()]) entry.release(reason);
  }

  isHeld(clientId: string): boolean {
    return this.#held.has(clientId);
  }

  clientIds(): IterableIterator<string> {
    return this.#held.keys();
  }

  get count(): number {
    return this.#held.size;
  }
}
