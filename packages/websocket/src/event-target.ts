// The WHATWG side of the connection object (HTML "The WebSocket interface"): onopen/onmessage/onclose/onerror
// and addEventListener, layered over the Node-style events so both styles see the same events.
import { EventEmitter } from 'node:events';

export class WsEvent {
  readonly type: string;
  readonly target: unknown;
  constructor(type: string, target: unknown) {
    this.type = type;
    this.target = target;
  }
}

export class WsMessageEvent extends WsEvent {
  /** A string for text messages; a Buffer or an ArrayBuffer (per binaryType) for binary ones. */
  readonly data: string | Buffer | ArrayBuffer;
  constructor(target: unknown, data: string | Buffer | ArrayBuffer) {
    super('message', target);
    this.data = data;
  }
}

export class WsCloseEvent extends WsEvent {
  readonly code: number;
  readonly reason: string;
  readonly wasClean: boolean;
  constructor(target: unknown, code: number, reason: string, wasClean: boolean) {
    super('close', target);
    this.code = code;
    this.reason = reason;
    this.wasClean = wasClean;
  }
}

export class WsErrorEvent extends WsEvent {
  readonly error: Error;
  readonly message: string;
  constructor(target: unknown, error: Error) {
    super('error', target);
    this.error = error;
    this.message = error.message;
  }
}

export type WsEventType = 'open' | 'message' | 'close' | 'error';
export type WsEventListener<E extends WsEvent = WsEvent> =
  | ((event: E) => void)
  | { handleEvent(event: E): void };

/** WHATWG: a text message's data is a string; binary data stays as binaryType made it. */
function messageEventData(data: Buffer | ArrayBuffer, isBinary: boolean): string | Buffer | ArrayBuffer {
  return isBinary ? data : (data as Buffer).toString('utf8');
}

const kListener = Symbol('pushwire.listener');
const kOnProperty = Symbol('pushwire.onProperty');

type Wrapper = ((...args: unknown[]) => void) & { [kListener]?: unknown; [kOnProperty]?: boolean };

function call(listener: WsEventListener, target: unknown, event: WsEvent): void {
  if (typeof listener === 'function') listener.call(target, event);
  else listener.handleEvent(event);
}

/**
 * The listener table of one connection: a null-prototype object in V8's fast mode. EventEmitter starts with
 * `{ __proto__: null }`, which V8 keeps as a dictionary (about 190 bytes even with two listeners); instances
 * of a constructor whose prototype is a null-prototype object stay fast (about 50 bytes) and, like the
 * default, inherit no keys, so no event name ('toString', 'constructor', '__proto__') finds a listener it
 * was not given. Node's own streams replace the table the same way (Readable: `this._events ??= {...}`).
 * One per connection adds up: idle connections are what a push server holds most of.
 */
function ListenerTable(): void {}
ListenerTable.prototype = Object.create(null) as object;
const newListenerTable = (): object => new (ListenerTable as unknown as new () => object)();

/**
 * An EventEmitter with the WHATWG EventTarget surface on top: listeners added either way see the same
 * events, in the order they were added. The connection says whether its close was clean (the close event's
 * `wasClean`), which only it knows.
 */
// biome-ignore lint/suspicious/noExplicitAny: the constraint of node:events' own EventMap.
export abstract class WsEventTarget<T extends Record<keyof T, any[]>> extends EventEmitter<T> {
  constructor() {
    super();
    // EventEmitter's listener table (node:events `_events`); see ListenerTable. Nothing is registered yet.
    (this as unknown as { _events: object })._events = newListenerTable();
  }

  /** Both close frames were exchanged (WHATWG "wasClean"). */
  protected abstract closedCleanly(): boolean;

  /** This emitter with string event names: the WHATWG types are not keys of every event map. */
  private get emitter(): EventEmitter {
    return this as unknown as EventEmitter;
  }

  private wrap(type: WsEventType, listener: WsEventListener): Wrapper {
    let wrapper: Wrapper;
    if (type === 'message') {
      wrapper = (data, isBinary) =>
        call(listener, this, new WsMessageEvent(this, messageEventData(data as Buffer, isBinary as boolean)));
    } else if (type === 'close') {
      wrapper = (code, reason) =>
        call(listener, this, new WsCloseEvent(this, code as number, String(reason), this.closedCleanly()));
    } else if (type === 'error') {
      wrapper = (err) => call(listener, this, new WsErrorEvent(this, err as Error));
    } else {
      wrapper = () => call(listener, this, new WsEvent(type, this));
    }
    wrapper[kListener] = listener;
    return wrapper;
  }

  addEventListener(
    type: 'message',
    listener: WsEventListener<WsMessageEvent>,
    options?: { once?: boolean },
  ): void;
  addEventListener(
    type: 'close',
    listener: WsEventListener<WsCloseEvent>,
    options?: { once?: boolean },
  ): void;
  addEventListener(
    type: 'error',
    listener: WsEventListener<WsErrorEvent>,
    options?: { once?: boolean },
  ): void;
  addEventListener(type: 'open', listener: WsEventListener<WsEvent>, options?: { once?: boolean }): void;
  addEventListener(type: WsEventType, listener: WsEventListener<never>, options?: { once?: boolean }): void {
    const emitter = this.emitter;
    // WHATWG: adding the same listener twice for a type is a no-op.
    for (const existing of emitter.listeners(type) as Wrapper[]) {
      if (existing[kListener] === listener && !existing[kOnProperty]) return;
    }
    const wrapper = this.wrap(type, listener as WsEventListener);
    if (options?.once) emitter.once(type, wrapper);
    else emitter.on(type, wrapper);
  }

  removeEventListener(type: WsEventType, listener: WsEventListener<never>): void {
    const emitter = this.emitter;
    for (const existing of emitter.rawListeners(type) as Wrapper[]) {
      const inner = (existing as Wrapper & { listener?: Wrapper }).listener ?? existing; // once() wraps again
      if (inner[kListener] === listener && !inner[kOnProperty]) {
        emitter.removeListener(type, existing);
        return;
      }
    }
  }

  private getOnProperty(type: WsEventType): unknown {
    for (const existing of this.emitter.listeners(type) as Wrapper[]) {
      if (existing[kOnProperty]) return existing[kListener];
    }
    return null;
  }

  private setOnProperty(type: WsEventType, handler: unknown): void {
    const emitter = this.emitter;
    for (const existing of emitter.listeners(type) as Wrapper[]) {
      if (existing[kOnProperty]) emitter.removeListener(type, existing);
    }
    if (typeof handler !== 'function') return;
    const wrapper = this.wrap(type, handler as WsEventListener);
    wrapper[kOnProperty] = true;
    emitter.on(type, wrapper);
  }

  get onopen(): ((event: WsEvent) => void) | null {
    return this.getOnProperty('open') as ((event: WsEvent) => void) | null;
  }
  set onopen(handler: ((event: WsEvent) => void) | null) {
    this.setOnProperty('open', handler);
  }
  get onmessage(): ((event: WsMessageEvent) => void) | null {
    return this.getOnProperty('message') as ((event: WsMessageEvent) => void) | null;
  }
  set onmessage(handler: ((event: WsMessageEvent) => void) | null) {
    this.setOnProperty('message', handler);
  }
  get onclose(): ((event: WsCloseEvent) => void) | null {
    return this.getOnProperty('close') as ((event: WsCloseEvent) => void) | null;
  }
  set onclose(handler: ((event: WsCloseEvent) => void) | null) {
    this.setOnProperty('close', handler);
  }
  get onerror(): ((event: WsErrorEvent) => void) | null {
    return this.getOnProperty('error') as ((event: WsErrorEvent) => void) | null;
  }
  set onerror(handler: ((event: WsErrorEvent) => void) | null) {
    this.setOnProperty('error', handler);
  }
}
