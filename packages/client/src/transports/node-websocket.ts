// Node-only: the `@pushwire/websocket` client as a WHATWG-shaped constructor. Loaded by dynamic import
// in Node (even where a global WebSocket exists: it cannot send headers or cookies) and wherever no global
// WebSocket exists; the browser bundle swaps this module for a stub.

import { ClientError } from '../errors.js';
import type { WebSocketConstructor } from './websocket-api.js';

export async function loadNodeWebSocket(): Promise<WebSocketConstructor> {
  const mod = (await import('@pushwire/websocket')) as { WebSocket?: unknown };
  if (typeof mod.WebSocket !== 'function') {
    throw new ClientError('CLIENT_NO_TRANSPORT', '@pushwire/websocket does not export a WebSocket client');
  }
  return mod.WebSocket as WebSocketConstructor;
}
