// The socket side of a connection: module-level socket listeners (so a connection allocates no closures,
// STYLE.md), the adapter from the frame parser to the connection, and small payload helpers. Nothing here
// changes the connection's state: each listener calls the one transition of websocket.ts that applies.
import { Buffer } from 'node:buffer';
import type { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import type { NegotiatedDeflate } from './deflate/codec.js';
import { errorChannel } from './diagnostics.js';
import type { WebSocketError } from './errors.js';
import type { ConnectionLimits } from './options.js';
import type { ReceiverSink } from './receiver.js';

export const READY_STATE = { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 } as const;
export type ReadyState = (typeof READY_STATE)[keyof typeof READY_STATE];

export type WebSocketData = string | Buffer | ArrayBuffer | ArrayBufferView;

/** What an upgraded socket is attached with (server.ts after its 101, client.ts after the server's). */
export interface AttachOptions {
  isServer: boolean;
  limits: ConnectionLimits;
  deflate: NegotiatedDeflate | null;
  /** The subprotocol selected ('' for none). */
  protocol?: string;
  /** The negotiated extensions, as the Sec-WebSocket-Extensions response header says them. */
  extensions?: string;
}

/**
 * The transitions the socket listeners and the parser sink drive (websocket.ts implements them;
 * typed here so this module does not import the connection).
 */
export interface ConnectionHost extends EventEmitter {
  _socketData(chunk: Buffer): void;
  _socketClosed(): void;
  _socketDrained(): void;
  _messageReceived(data: Buffer, isBinary: boolean): void;
  _pingReceived(data: Buffer): void;
  _pongReceived(data: Buffer): void;
  _closeFrameReceivedWith(code: number, reason: Buffer): void;
  _fail(err: WebSocketError): void;
}

const kConnection = Symbol('pushwire.websocket');
export type TaggedSocket = Duplex & { [kConnection]?: ConnectionHost };

// Hot-path socket listeners are module-level functions, so a connection allocates no closures (STYLE.md).
export function socketOnData(this: TaggedSocket, chunk: Buffer): void {
  this[kConnection]!._socketData(chunk);
}

export function socketOnClose(this: TaggedSocket): void {
  this[kConnection]!._socketClosed();
}

export function socketOnError(this: TaggedSocket): void {
  // Transport errors (ECONNRESET, EPIPE) end the connection; 'close' reports 1006.
  this.destroy();
}

export function socketOnDrain(this: TaggedSocket): void {
  this[kConnection]!._socketDrained();
}

/** Reports a failure: to diagnostics always, to 'error' listeners if there are any (an unattended server
 *  socket must not crash the process with an unhandled 'error'). */
export function reportError(ws: EventEmitter, error: Error): void {
  if (errorChannel.hasSubscribers) errorChannel.publish({ ws, error });
  if (ws.listenerCount('error') > 0) ws.emit('error', error);
}

/** Adapter between the receiver and the connection (kept apart so parser callbacks are not public API). */
export class Sink implements ReceiverSink {
  private readonly ws: ConnectionHost;
  constructor(ws: ConnectionHost) {
    this.ws = ws;
  }
  onMessage(data: Buffer, isBinary: boolean): void {
    this.ws._messageReceived(data, isBinary);
  }
  onPing(data: Buffer): void {
    this.ws._pingReceived(data);
  }
  onPong(data: Buffer): void {
    this.ws._pongReceived(data);
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
export function tagSocket(socket: Duplex, ws: ConnectionHost): TaggedSocket {
  const tagged = socket as TaggedSocket;
  tagged[kConnection] = ws;
  return tagged;
}
