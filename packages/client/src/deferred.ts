// A promise with its settle functions, used for replies that arrive later on another code path.

export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // The rejection is always observed by someone else or deliberately ignored; never an unhandled crash.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}
