// The registry of held /meta/connect requests on THIS node: at most one per client (Bayeux §4.2: one
// outstanding connect per client, so a newer connect releases the held one at once), and how many each
// browser holds (CometD maxSessionsPerBrowser, counted over the HTTP transports). What a hold does (its timer,
// its answer, its put-back) lives in hold.ts; this file only knows who is held.

import type { DestroyReason } from './engine/engine.js';

/** Why a held connect was answered. */
export type ReleaseReason = 'timeout' | 'wake' | 'replaced' | 'destroyed' | 'closing';

/** What the registry needs of a held connect (hold.ts's HeldConnect). */
export interface HeldEntry {
  readonly clientId: string;
  /** Counted against maxSessionsPerBrowser while held (HTTP transports only). */
  readonly browserId: string | undefined;
  /** Answers the connect; idempotent. Calls `forget(this)` on the registry. */
  release(reason: ReleaseReason, detail?: DestroyReason): void;
  /** Messages were queued: answer within `windowMs` (0: now), so later ones can ride the same reply. */
  wake(windowMs: number): void;
}

export class HeldConnects {
  readonly #held = new Map<string, HeldEntry>();
  readonly #perBrowser = new Map<string, number>();

  /** Registers a hold, releasing the client's older one first as 'replaced' (Bayeux §4.2). */
  add(entry: HeldEntry): void {
    this.release(entry.clientId, 'replaced');
    this.#held.set(entry.clientId, entry);
    const { browserId } = entry;
    if (browserId !== undefined) this.#perBrowser.set(browserId, (this.#perBrowser.get(browserId) ?? 0) + 1);
  }

  /** Called by a hold once released: it no longer counts. */
  forget(entry: HeldEntry): void {
    const clientId = entry.clientId;
    if (this.#held.get(clientId) !== entry) return;
    this.#held.delete(clientId);
    const { browserId } = entry;
    if (browserId !== undefined) {
      const n = (this.#perBrowser.get(browserId) ?? 1) - 1;
      if (n <= 0) this.#perBrowser.delete(browserId);
      else this.#perBrowser.set(browserId, n);
    }
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

  /** Connects held for this browser, not counting `exceptClientId`'s own. */
  heldForBrowser(browserId: string, exceptClientId: string): number {
    const n = this.#perBrowser.get(browserId) ?? 0;
    const own = this.#held.get(exceptClientId);
    return own !== undefined && own.browserId === browserId ? n - 1 : n;
  }

  clientIds(): IterableIterator<string> {
    return this.#held.keys();
  }

  get count(): number {
    return this.#held.size;
  }
}
