// The memory engine's browser holds (maxSessionsPerBrowser): browserId -> clientId -> deadline of its held
// connect. Expired holds are dropped when counted, and a browser without holds is deleted (no memory per
// browser that went away). A browser almost always holds one connect (one tab, or its other tabs short-poll
// with multiple-clients advice), and every held long-poll sets and clears its browser's hold: that one is a
// small record, not a Map of its own (a one-entry Map is about 180 bytes, paid per idle long-polling
// client, and was created and dropped on every hold). A second tab turns it into a Map.

/** The one hold of a browser. */
class OneHold {
  readonly clientId: string;
  until: number;
  constructor(clientId: string, until: number) {
    this.clientId = clientId;
    this.until = until;
  }
}

export class BrowserHolds {
  readonly #browsers = new Map<string, OneHold | Map<string, number>>();

  /** Records (or with `untilMs` undefined, removes) the hold of `clientId` in `browserId`. */
  set(browserId: string, clientId: string, untilMs: number | undefined): void {
    const holds = this.#browsers.get(browserId);
    if (untilMs === undefined) {
      if (holds instanceof OneHold) {
        if (holds.clientId === clientId) this.#browsers.delete(browserId);
      } else if (holds !== undefined) {
        holds.delete(clientId);
        if (holds.size === 0) this.#browsers.delete(browserId);
      }
      return;
    }
    if (holds === undefined) this.#browsers.set(browserId, new OneHold(clientId, untilMs));
    else if (holds instanceof OneHold) {
      if (holds.clientId === clientId) holds.until = untilMs;
      else {
        const map = new Map([[holds.clientId, holds.until]]);
        map.set(clientId, untilMs);
        this.#browsers.set(browserId, map);
      }
    } else holds.set(clientId, untilMs);
  }

  /** Holds of `browserId` still running at `now`, other than `exceptClientId`'s. */
  count(browserId: string, exceptClientId: string, now: number): number {
    const holds = this.#browsers.get(browserId);
    if (holds === undefined) return 0;
    if (holds instanceof OneHold) {
      if (holds.until <= now) {
        this.#browsers.delete(browserId);
        return 0;
      }
      return holds.clientId === exceptClientId ? 0 : 1;
    }
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
