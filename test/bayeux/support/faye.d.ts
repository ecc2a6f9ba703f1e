// The slice of npm `faye` 1.4 (no bundled types) that the interop tests use. Shapes from
// node_modules/faye/src/adapters/node_adapter.js and src/protocol/client.js.
declare module 'faye' {
  import type { Server } from 'node:http';

  export interface FayeMessage {
    channel: string;
    clientId?: string;
    id?: string;
    data?: unknown;
    successful?: boolean;
    error?: string;
    [field: string]: unknown;
  }

  export interface FayeExtension {
    incoming?(message: FayeMessage, callback: (message: FayeMessage) => void): void;
    outgoing?(message: FayeMessage, callback: (message: FayeMessage) => void): void;
  }

  export interface Subscription extends PromiseLike<void> {
    cancel(): void;
    withChannel(cb: (channel: string, data: unknown) => void): Subscription;
  }

  export class Client {
    constructor(endpoint: string, options?: { timeout?: number; interval?: number; retry?: number });
    subscribe(channel: string, callback: (data: unknown) => void): Subscription;
    publish(channel: string, data: unknown): PromiseLike<void>;
    disable(feature: string): void;
    connect(callback?: () => void): void;
    disconnect(): PromiseLike<void> | undefined;
    addExtension(ext: FayeExtension): void;
    on(event: 'transport:up' | 'transport:down', cb: () => void): void;
  }

  export class NodeAdapter {
    constructor(options: { mount?: string; timeout?: number; ping?: number });
    attach(server: Server): void;
    addExtension(ext: FayeExtension): void;
    getClient(): Client;
    /** Engine events (Publisher mixin): handshake, subscribe, unsubscribe, publish, disconnect. */
    on(event: string, cb: (...args: unknown[]) => void): void;
    close(): void;
  }

  export const logger: unknown;
}
