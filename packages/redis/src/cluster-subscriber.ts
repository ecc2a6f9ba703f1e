// The pub/sub connection of the Cluster port: ONE plain connection to one cluster node (classic
// SUBSCRIBE: a PUBLISH on any node reaches the subscribers of every node over the cluster bus, Redis
// Cluster spec "Pub/Sub"). When that node is lost, the connection moves to the next known node and
// subscribes again to every channel.
//
// Why not ioredis Cluster's own subscriber: its close() leaves a disconnect timer armed until the socket
// closes (AbstractConnector.disconnect), which a caller cannot await; a plain connection's quit() settles.

import { Redis } from 'ioredis';
import type { ClusterNodeAddress } from './cluster-port.js';

/** Reconnect attempts on one node before the subscriber moves to the next node. */
const ATTEMPTS_PER_NODE = 3;

export class ClusterSubscriber {
  readonly #nodes: () => readonly ClusterNodeAddress[];
  readonly #connectTimeout: number;
  readonly #onMessage: (channel: string, message: string) => void;
  readonly #onError: (error: Error) => void;
  readonly #channels = new Set<string>();
  #conn: Redis;
  #next = 0;
  #closed = false;

  /** `nodes()`: the nodes known now (the cluster's masters, else the configured ones). */
  constructor(
    nodes: () => readonly ClusterNodeAddress[],
    connectTimeout: number,
    onMessage: (channel: string, message: string) => void,
    onError: (error: Error) => void,
  ) {
    this.#nodes = nodes;
    this.#connectTimeout = connectTimeout;
    this.#onMessage = onMessage;
    this.#onError = onError;
    this.#conn = this.#open();
  }

  #open(): Redis {
    const list = this.#nodes();
    const node = list[this.#next % list.length] as ClusterNodeAddress;
    this.#next++;
    const conn = new Redis({
      host: node.host,
      port: node.port,
      connectTimeout: this.#connectTimeout,
      // A few quick attempts on this node, then 'end': move on (a master that died may not come back).
      retryStrategy: (times) => (times > ATTEMPTS_PER_NODE ? null : times * 100),
    });
    conn.on('error', (error: Error) => this.#onError(error));
    conn.on('message', (channel: string, message: string) => this.#onMessage(channel, message));
    conn.once('end', () => {
      if (this.#closed) return;
      this.#conn = this.#open();
      if (this.#channels.size > 0) {
        this.#conn.subscribe(...this.#channels).catch((err: unknown) => {
          this.#onError(err instanceof Error ? err : new Error(String(err)));
        });
      }
    });
    return conn;
  }

  async subscribe(channel: string): Promise<void> {
    this.#channels.add(channel);
    await this.#conn.subscribe(channel);
  }

  async close(): Promise<void> {
    this.#closed = true;
    try {
      await this.#conn.quit();
    } catch {
      this.#conn.disconnect();
    }
  }
}
