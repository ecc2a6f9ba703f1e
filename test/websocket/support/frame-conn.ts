// A raw WebSocket endpoint on a net.Socket, driven by the test: it writes exactly the bytes a case asks
// for and hands back every frame the peer under test sends, with the time it arrived. Used by the raw
// client (testing servers) and the raw server (testing clients).
import type { Socket } from 'node:net';
import {
  buildFrame,
  closeCodeOf,
  describeFrame,
  type Frame,
  FrameParser,
  type FrameSpec,
  OP,
} from './frame.js';

/** Which side of the connection the raw endpoint plays (the implementation under test is the other). */
export type RawRole = 'client' | 'server';

export const DEFAULT_WAIT_MS = 2_000;

export class WaitTimeout extends Error {
  override name = 'WaitTimeout';
}

export class FrameConn {
  readonly role: RawRole;
  readonly socket: Socket;
  /** Frames received and not yet taken by nextFrame(). */
  private readonly queue: Frame[] = [];
  private readonly waiters: Array<() => void> = [];
  private readonly parser = new FrameParser();
  /** Every frame received, in order (including those already taken). */
  readonly received: Frame[] = [];
  /** True once the peer half-closed (FIN) or the socket closed. */
  peerEnded = false;
  tcpClosed = false;
  parseError: Error | undefined;
  readonly closed: Promise<void>;

  constructor(socket: Socket, role: RawRole, leftover: Buffer = Buffer.alloc(0)) {
    this.socket = socket;
    this.role = role;
    socket.setNoDelay(true);
    // Writes after the peer failed the connection may hit EPIPE/ECONNRESET: that is the peer's right.
    socket.on('error', () => {});
    this.closed = new Promise((resolve) => {
      socket.once('close', () => {
        this.tcpClosed = true;
        this.peerEnded = true;
        this.wake();
        resolve();
      });
    });
    socket.on('end', () => {
      this.peerEnded = true;
      this.wake();
    });
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    if (leftover.length > 0) this.onData(leftover);
  }

  private onData(chunk: Buffer): void {
    try {
      for (const frame of this.parser.push(chunk)) {
        this.queue.push(frame);
        this.received.push(frame);
      }
    } catch (err) {
      this.parseError = err as Error;
    }
    this.wake();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  private waitChange(timeoutMs: number, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(done);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new WaitTimeout(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      this.waiters.push(done);
    });
  }

  /** Frames we send are masked when we play the client (RFC 6455 5.3), unmasked when we play the server. */
  frame(spec: FrameSpec): Buffer {
    return buildFrame({ mask: this.role === 'client', ...spec });
  }

  /** Write bytes and resolve once they are handed to the kernel. Errors are ignored (see constructor). */
  write(bytes: Buffer): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.destroyed || !this.socket.writable) {
        resolve();
        return;
      }
      this.socket.write(bytes, () => resolve());
    });
  }

  send(spec: FrameSpec): Promise<void> {
    return this.write(this.frame(spec));
  }

  /**
   * Write bytes in pieces of `chunk` bytes, each handed to the kernel before the next (TCP_NODELAY is on),
   * so that the peer's parser sees every split point. `limit` bounds how many bytes go piecewise; the rest
   * is written at once (keeps 64 KiB frames fast while still splitting every header field).
   */
  async writeChunked(bytes: Buffer, chunk: number, limit = Number.POSITIVE_INFINITY): Promise<void> {
    let i = 0;
    for (; i < bytes.length && i < limit; i += chunk)
      await this.write(bytes.subarray(i, Math.min(i + chunk, bytes.length)));
    if (i < bytes.length) await this.write(bytes.subarray(i));
  }

  /** The next frame from the peer; rejects on timeout or when the TCP connection ends first. */
  async nextFrame(timeoutMs = DEFAULT_WAIT_MS): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const frame = this.queue.shift();
      if (frame) return frame;
      if (this.parseError) throw this.parseError;
      if (this.peerEnded)
        throw new Error(`peer closed the TCP connection (${this.parser.pending} bytes pending)`);
      await this.waitChange(Math.max(1, deadline - Date.now()), 'a frame');
    }
  }

  /** Reassemble the next data message (text/binary + continuations), skipping nothing. */
  async nextMessage(
    timeoutMs = DEFAULT_WAIT_MS,
  ): Promise<{ opcode: number; payload: Buffer; frames: Frame[] }> {
    const first = await this.nextFrame(timeoutMs);
    if (first.opcode !== OP.TEXT && first.opcode !== OP.BINARY) {
      throw new Error(`expected a data frame, got ${describeFrame(first)}`);
    }
    const frames = [first];
    while (!(frames[frames.length - 1] as Frame).fin) {
      const next = await this.nextFrame(timeoutMs);
      if (next.opcode !== OP.CONTINUATION)
        throw new Error(`expected a continuation, got ${describeFrame(next)}`);
      frames.push(next);
    }
    return { opcode: first.opcode, payload: Buffer.concat(frames.map((f) => f.payload)), frames };
  }

  /** Resolve when the TCP connection is fully closed; reject after the timeout. */
  async waitTcpClosed(timeoutMs = DEFAULT_WAIT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.tcpClosed) {
      // The peer half-closed: finish our side so that 'close' can fire.
      if (this.peerEnded && !this.socket.writableEnded) this.socket.end();
      await this.waitChange(Math.max(1, deadline - Date.now()), 'the TCP connection to close');
    }
  }

  /** Did the peer send nothing further within `ms`? Used only for "must ignore" cases. */
  async idle(ms: number): Promise<boolean> {
    if (this.queue.length > 0) return false;
    try {
      await this.waitChange(ms, 'idle');
    } catch {
      return this.queue.length === 0;
    }
    return this.queue.length === 0;
  }

  closeCodes(): Array<number | undefined> {
    return this.received.filter((f) => f.opcode === OP.CLOSE).map(closeCodeOf);
  }

  destroy(): void {
    this.socket.destroy();
  }
}
