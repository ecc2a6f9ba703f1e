// The WHATWG side of the connection object (HTML "The WebSocket interface"): onopen/onmessage/onclose/onerror
// and addEventListener, layered over the Node-style events so both styles see the same events.
import type { EventEmitter } from 'node:events';

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

/** What the adapter needs from the connection: its emitter, and how to turn message args into data. */
export interface EventTargetHost extends EventEmitter {
  messageEventData(data: Buffer | ArrayBuffer, isBinary: boolean): string | Buffer | ArrayBuffer;
  wasClean(): boolean;
}

const kListener = Symbol('pushwire.listener');
const kOnProperty = Symbol('pushwire.onProperty');

type Wrapper = ((...args: unknown[]) => void) & { [kListener]?: unknown; [kOnProperty]?: boolean };

function call(listener: WsEventListener, target: unknown, event: WsEvent): void {
  if (typeof listener === 'function') listener.call(target, event);
  else listener.handleEvent(event);
}

function wrap(host: EventTargetHost, type: WsEventType, listener: WsEventListener): Wrapper {
  let wrapper: Wrapper;
  if (type === 'message') {
    wrapper = (data, isBinary) =>
      call(
        listener,
        host,
        new WsMessageEvent(host, host.messageEventData(data as Buffer, isBinary as boolean)),
      );
  } else if (type === 'close') {
    wrapper = (code, reason) =>
      call(listener, host, new WsCloseEvent(host, code as number, String(reason), host.wasClean()));
  } else if (type === 'error') {
    wrapper = (err) => call(listener, host, new WsErrorEvent(host, err as Error));
  } else {
    wrapper = () => call(listener, host, new WsEvent(type, host));
  }
  wrapper[kListener] = listener;
  return wrapper;
}

export function addEventListener(
  host: EventTargetHost,
  type: WsEventType,
  listener: WsEventListener,
  options?: { once?: boolean },
): void {
  // WHATWG: adding the same listener twice for a type is a no-op.
  for (const existing of host.listeners(type) as Wrapper[]) {
    if (existing[kListener] === listener && !existing[kOnProperty]) return;
  }
  const wrapper = wrap(host, type, listener);
  if (options?.once) host.once(type, wrapper);
  else host.on(type, wrapper);
}

export function removeEventListener(
  host: EventTargetHost,
  type: WsEventType,
  listener: WsEventListener,
): void {
  for (const existing of host.rawListeners(type) as Wrapper[]) {
    const inner = (existing as Wrapper & { listener?: Wrapper }).listener ?? existing; // once() wraps again
    if (inner[kListener] === listener && !inner[kOnProperty]) {
      host.removeListener(type, existing);
      return;
    }
  }
}

export function getOnProperty(host: EventTargetHost, type: WsEventType): WsEventListener | null {
  for (const existing of host.listeners(type) as Wrapper[]) {
    if (existing[kOnProperty]) return existing[kListener] as WsEventListener;
  }
  return null;
}

export function setOnProperty(host: EventTargetHost, type: WsEventType, handler: unknown): void {
  for (const existing of host.listeners(type) as Wrapper[]) {
    if (existing[kOnProperty]) host.removeListener(type, existing);
  }
  if (typeof handler !== 'function') return;
  const wrapper = wrap(host, type, handler as WsEventListener);
  wrapper[kOnProperty] = true;
  host.on(type, wrapper);
}
