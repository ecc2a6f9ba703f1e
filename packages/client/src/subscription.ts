// The handle `subscribe()` returns: a thenable that settles on the server's answer (Faye and CometD both
// model it this way), with `unsubscribe()`.

export class Subscription implements PromiseLike<undefined> {
  readonly channels: readonly string[];
  readonly #ready: Promise<undefined>;
  readonly #cancel: () => Promise<void>;
  #cancelled: Promise<void> | null = null;

  constructor(channels: readonly string[], ready: Promise<undefined>, cancel: () => Promise<void>) {
    this.channels = channels;
    this.#ready = ready;
    this.#cancel = cancel;
  }

  // biome-ignore lint/suspicious/noThenProperty: a Subscription is deliberately awaitable.
  then<A = void, B = never>(
    onfulfilled?: ((value: undefined) => A | PromiseLike<A>) | null,
    onrejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return this.#ready.then(onfulfilled, onrejected);
  }

  catch<B = never>(onrejected?: ((reason: unknown) => B | PromiseLike<B>) | null): Promise<undefined | B> {
    return this.#ready.catch(onrejected);
  }

  /** Removes this subscription's handler; the last handler of a channel sends /meta/unsubscribe. */
  unsubscribe(): Promise<void> {
    this.#cancelled ??= this.#cancel();
    return this.#cancelled;
  }
}
