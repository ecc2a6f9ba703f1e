// The WHATWG WebSocket surface the websocket transport needs, so the browser's WebSocket, `ws` and
// `@pushwire/websocket` all fit. Owned by the transports; options.ts only refers to the constructor type.

/** The part of a WebSocket instance the websocket transport uses. */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string | unknown }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

/**
 * A WHATWG-shaped WebSocket constructor (the browser's, `ws`, or `@pushwire/websocket`). Node
 * implementations take a third options argument for handshake headers; browsers ignore it.
 */
export type WebSocketConstructor = new (
  url: string,
  protocols?: string | string[],
  options?: { headers?: Record<string, string> },
) => WebSocketLike;
