// Keeps the second step of concurrent two-step operations in the order the operations began. On a Redis
// Cluster a publish's first step (reading the pattern indexes) spans several nodes, so publishes issued in
// order can finish it out of order (one reads an index on a slower node); their queueing steps must still
// be SENT in issue order (commands sent in order on one node's connection run in order), or "publishes
// issued in order reach every queue in that order" would not hold. One Redis server needs none of this:
// its replies come back in order on one connection.

export class InOrder {
  #tail: Promise<void> = Promise.resolve();

  /**
   * Runs `first`, then, once every earlier call has SENT its second step, `second` (which must send its
   * commands before it first awaits, as RedisPort.batch does). Resolves with `second`'s result.
   */
  async run<A, B>(first: () => Promise<A>, second: (a: A) => Promise<B>): Promise<B> {
    const before = this.#tail;
    let sent: () => void = () => undefined;
    this.#tail = new Promise<void>((resolve) => {
      sent = resolve;
    });
    try {
      const a = await first();
      await before;
      const result = second(a);
      sent();
      return await result;
    } finally {
      sent();
    }
  }
}
