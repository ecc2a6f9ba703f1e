// The sink the engine conformance suite gives every engine: it records what the engine told it (wakes,
// destroys, presence leaves) and lets tests await a destroy or a leave instead of guessing a delay.

import type { DeliverySink, DestroyReason, PresenceMember } from '../engine/engine.js';

/** One `left` a sink was told: a member's leave of a presence set, with the set's count after it. */
export interface LeftEvent {
  channel: string;
  member: PresenceMember;
  count: number;
  reason: DestroyReason;
}

/** A sink that records what the engine told it and lets tests await a `destroyed` or a `left`. */
export class RecordingSink implements DeliverySink {
  readonly wakes: string[] = [];
  readonly destroyedLog: Array<{ clientId: string; reason: DestroyReason }> = [];
  /** Every `left` the engine reported (presence leaves of destroyed clients). */
  readonly leftLog: LeftEvent[] = [];
  /** Clients this "node" holds a connect for (DeliverySink.isHeld). */
  readonly held = new Set<string>();
  private readonly waiters: Array<{ clientId: string; resolve: (reason: DestroyReason) => void }> = [];
  private readonly leftWaiters: Array<{
    channel: string;
    clientId: string;
    resolve: (left: LeftEvent) => void;
  }> = [];

  wake(clientId: string): void {
    this.wakes.push(clientId);
  }

  destroyed(clientId: string, reason: DestroyReason): void {
    this.destroyedLog.push({ clientId, reason });
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const w = this.waiters[i];
      if (w !== undefined && w.clientId === clientId) {
        this.waiters.splice(i, 1);
        w.resolve(reason);
      }
    }
  }

  left(channel: string, member: PresenceMember, count: number, reason: DestroyReason): void {
    const event = { channel, member, count, reason };
    this.leftLog.push(event);
    for (let i = this.leftWaiters.length - 1; i >= 0; i--) {
      const w = this.leftWaiters[i];
      if (w !== undefined && w.channel === channel && w.clientId === member.clientId) {
        this.leftWaiters.splice(i, 1);
        w.resolve(event);
      }
    }
  }

  isHeld(clientId: string): boolean {
    return this.held.has(clientId);
  }

  /** Resolves with the reason when `clientId` is destroyed (at once if it already was). */
  waitDestroyed(clientId: string): Promise<DestroyReason> {
    const done = this.destroyedLog.find((d) => d.clientId === clientId);
    if (done !== undefined) return Promise.resolve(done.reason);
    return new Promise((resolve) => this.waiters.push({ clientId, resolve }));
  }

  /**
   * Resolves with the `left` event when `clientId` leaves `channel` (at once if it already did). A networked
   * engine tells its sink after a round trip to its store, which real I/O finishes after the fake clock
   * stops: awaiting the event, not a timer, is what makes an expiry test deterministic.
   */
  waitLeft(channel: string, clientId: string): Promise<LeftEvent> {
    const done = this.leftLog.find((l) => l.channel === channel && l.member.clientId === clientId);
    if (done !== undefined) return Promise.resolve(done);
    return new Promise((resolve) => this.leftWaiters.push({ channel, clientId, resolve }));
  }

  wakeCount(clientId: string): number {
    return this.wakes.filter((w) => w === clientId).length;
  }
}
