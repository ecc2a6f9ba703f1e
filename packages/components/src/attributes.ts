// The typed attribute bag every layer shares (Ratchet's connection property bag, typed as Netty's
// AttributeKey/AttributeMap): a key carries its value type, so `get` needs no cast and two layers that
// pick the same name still get distinct keys.

export class AttributeKey<T> {
  readonly name: string;
  /** Carries T at the type level only. */
  declare readonly __type?: T;
  constructor(name: string) {
    this.name = name;
  }
  toString(): string {
    return `AttributeKey(${this.name})`;
  }
}

export class Attributes {
  readonly #values = new Map<AttributeKey<unknown>, unknown>();

  get<T>(key: AttributeKey<T>): T | undefined {
    return this.#values.get(key) as T | undefined;
  }

  set<T>(key: AttributeKey<T>, value: T): this {
    this.#values.set(key, value);
    return this;
  }

  has(key: AttributeKey<unknown>): boolean {
    return this.#values.has(key);
  }

  delete(key: AttributeKey<unknown>): boolean {
    return this.#values.delete(key);
  }

  get size(): number {
    return this.#values.size;
  }
}
