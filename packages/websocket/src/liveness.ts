// Optional liveness check (RFC 6455 5.5.2: a ping "may serve ... as a keepalive"): one shared interval
// timer for all connections of a server, not a timer per socket. Each tick pings every open connection; a
// connection that has not answered the previous tick's ping with a pong is terminated.
import { WebSocketError } from './errors.js';
import type { WebSocket } from './websocket.js';

export class Liveness {
  private readonly sockets: Set<WebSocket>;
  private timer: NodeJS.Timeout | null;

  constructor(interval: number, sockets: Set<WebSocket>) {
    this.sockets = sockets;
    this.timer = setInterval(Liveness.tick, interval, this);
    this.timer.unref();
  }

  private static tick(self: Liveness): void {
    for (const ws of self.sockets) {
      if (ws.readyState !== 1) continue;
      if (!ws._alive) {
        ws._timeout(new WebSocketError('WS_ERR_PING_TIMEOUT', 'the peer did not answer the last ping'));
        continue;
      }
      ws._alive = false;
      ws.ping();
    }
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }
}
