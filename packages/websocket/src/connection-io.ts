// The socket side of a connection: module-level socket listeners (so a connection allocates no closures,
// STYLE.md), the adapter from the frame parser to the connection, and small payload helpers.
import type { Duplex } from 'node:stream';
import { errorChannel } from './diagnostics.js';
import { WebSocketError } from './errors.js';
import { OPCODE } from './frame.js';
import type { ReceiverSink } from './receiver.js';
import type { WebSocket, WebSocketData } from './websocket.js';

export const READY_STATE = { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 } as const;
export type ReadyState = (typeof READY_STATE)[keyof typeof READY_STATE];

const kWebSocket = Symbol('pushwire.websocket');
export type TaggedSocket = Duplex & { [kWebSocket]?: WebSocket };

// Hot-path socket listeners are module-level functions, so a connection allocates no closures (STYLE.md).
export function socketOnData(this: TaggedSocket, chunk: Buffer): void {
  this[kWebSocket]!._receiver!.write(chunk);
}

export function writeHead(ws: WebSocket, head: Buffer): void {
  ws._receiver?.write(head);
}

export function socketOnEnd(this: TaggedSocket): void {
  // The peer sent FIN: RFC 6455 7.1.1, close our side too (http upgrade sockets allow half-open).
  const ws = this[kWebSocket]!;
  ws.readyState = READY_STATE.CLOSING;
  ws._receiver?.stop();
  this.end();
}

export function socketOnClose(this: TaggedSocket): void {
  this[kWebSocket]!._socketClosed();
}

export function socketOnError(this: TaggedSocket): void {
  // Transport errors (ECONNRESET, EPIPE) end the connection; 'close' reports 1006.
  this.destroy();
}

export function socketOnDrain(this: TaggedSocket): void {
  // The sender decides: it reports each return of bufferedAmount to 0 once, whoever noticed it first.
  this[kWebSocket]!._sender?.checkDrained();
}

/** Reports a failure: to diagnostics always, to 'error' listeners if there are any (an unattended server
 *  socket must not crash the process with an unhandled 'error'). */
export function reportError(ws: WebSocket, error: Error): void {
  if (errorChannel.hasSubscribers) errorChannel.publish({ ws, error });
  if (ws.listenerCount('error') > 0) ws.emit('error', error);
}

export function closeTimeoutExpired(ws: WebSocket): void {
  ws._closeTimer = null;
  reportError(
    ws,
    new WebSocketError('WS_ERR_CLOSE_TIMEOUT', 'the peer did not complete the closing handshake'),
  );
  ws._socket?.destroy();
}

/** Adapter between the receiver and the connection (kept apart so parser callbacks are not public API). */
export class Sink implements ReceiverSink {
  private readonly ws: WebSocket;
  constructor(ws: WebSocket) {
    this.ws = ws;
  }
  onMessage(data: Buffer, isBinary: boolean): void {
    const ws = this.ws;
    if (ws.readyState !== READY_STATE.OPEN) return;
    ws.emit('message', isBinary && ws.binaryType === 'arraybuffer' ? toArrayBuffer(data) : data, isBinary);
  }
  onPing(data: Buffer): void {
    const ws = this.ws;
    // RFC 6455 5.5.2/5.5.3: answer with a pong carrying the same payload, unless we are already closing.
    if (!ws._closeFrameSent && ws._sender !== null) ws._sender.sendControl(OPCODE.PONG, data);
    ws.emit('ping', data);
  }
  onPong(data: Buffer): void {
    // RFC 6455 5.5.3: an unsolicited pong needs no answer; it still counts as a sign of life.
    this.ws._alive = true;
    this.ws.emit('pong', data);
  }
  onClose(code: number, reason: Buffer): void {
    this.ws._closeFrameReceivedWith(code, reason);
  }
  onError(err: WebSocketError): void {
    this.ws._fail(err);
  }
}

export function toArrayBuffer(buf: Buffer): ArrayBuffer {
  if (buf.byteOffset === 0 && buf.byteLength === buf.buffer.byteLength && buf.buffer instanceof ArrayBuffer) {
    return buf.buffer;
  }
  return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
}

/** Binary payloads as a Buffer view (no copy). */
export function toBuffer(data: Exclude<WebSocketData, string>): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  throw new TypeError('send() takes a string, Buffer, ArrayBuffer or ArrayBufferView');
}

/** Marks the socket with its connection, for the module-level listeners. */
export function tagSocket(socket: Duplex, ws: WebSocket): TaggedSocket {
  const tagged = socket as TaggedSocket;
  tagged[kWebSocket] = ws;
  return tagged;
}
