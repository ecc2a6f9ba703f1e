// Optional liveness check (RFC 6455 5.5.2: a ping "may serve ... as a keepalive"): one shared interval
// timer for all connections of a server, not a timer per socket. Each tick pings every open connection; a
// connection that has not answered the previous tick's ping with a pong is terminated.
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
    // Each connection keeps its own liveness state; its heartbeat terminates it or pings it again.
    for (const ws of self.sockets) ws._heartbeat();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }
}
