// The umbrella package: the main entry points of every pushwire package from one install. The complete API of
// each package is at its subpath: `pushwire/websocket`, `pushwire/bayeux`, `pushwire/server`, `pushwire/client`
// (names such as the shipped ack extensions exist on both server and client, so the root picks the classes).
export { BayeuxError, type Message } from '@pushwire/bayeux';
export { Client, type ClientOptions, Subscription } from '@pushwire/client';
export {
  type BayeuxServer,
  type BayeuxServerOptions,
  createBayeuxServer,
  createMemoryEngine,
} from '@pushwire/server';
export { WebSocket, WebSocketError, WebSocketServer } from '@pushwire/websocket';
