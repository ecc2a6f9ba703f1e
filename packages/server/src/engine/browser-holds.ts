// The memory engine's browser holds (maxSessionsPerBrowser): browserId -> clientId -> deadline of its held
// connect. Expired holds are dropped when counted, and a browser without holds is deleted (no memory per
// browser that went away).

export class BrowserHolds {
  readonly #browsers = new Map<string, Map<string, number>>();

  /** Records (or with `untilMs` undefined, removes) the hold of `clientId` in `browserId`. */
  set(browserId: string, clientId: string, untilMs: number | undefined): void {
    let holds = this.#browsers.get(browserId);
    if (untilMs === undefined) {
      holds?.delete(clientId);
      if (holds?.size === 0) this.#browsers.delete(browserId);
      return;
    }
    if (holds === undefined) this.#browsers.set(browserId, (holds = new Map()));
    holds.set(clientId, untilMs);
  }

  /** Holds of `browserId` still running at `now`, other than `exceptClientId`'s. */
  count(browserId: string, exceptClientId: string, now: number): number {
    const holds = this.#browsers.get(browserId);
    if (holds === undefined) return 0;
    let n = 0;
    for (const [id, until] of holds) {
      if (until <= now) holds.delete(id);
      else if (id !== exceptClientId) n++;
    }
    if (holds.size === 0) this.#browsers.delete(browserId);
    return n;
  }

  clear(): void {
    this.#browsers.clear();
  }
}
