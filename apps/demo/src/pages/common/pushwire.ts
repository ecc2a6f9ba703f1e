// The pages use the browser client served at /pushwire.js (the IIFE bundle of @pushwire/client, global
// `Pushwire`), exactly as a user's own page would; only its types are imported here.
import type * as PushwireClient from '@pushwire/client';

declare global {
  var Pushwire: typeof PushwireClient;
}

export type Client = PushwireClient.Client;
export type WebSocketConstructor = PushwireClient.WebSocketConstructor;

export function pushwire(): typeof PushwireClient {
  if (typeof globalThis.Pushwire === 'undefined') throw new Error('/pushwire.js did not load');
  return globalThis.Pushwire;
}
