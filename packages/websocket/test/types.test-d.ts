// Type tests for the public API (typed event maps, no `any` in public types).
import type { IncomingMessage } from 'node:http';
import { describe, expectTypeOf, it } from 'vitest';
import {
  WebSocket,
  type WebSocketError,
  WebSocketServer,
  type WsCloseEvent,
  type WsMessageEvent,
} from '../src/index.js';

describe('public types', () => {
  it('types Node-style events', () => {
    const ws = new WebSocket('ws://127.0.0.1:1/');
    ws.on('message', (data, isBinary) => {
      expectTypeOf(data).toEqualTypeOf<Buffer | ArrayBuffer>();
      expectTypeOf(isBinary).toEqualTypeOf<boolean>();
    });
    ws.on('close', (code, reason) => {
      expectTypeOf(code).toEqualTypeOf<number>();
      expectTypeOf(reason).toEqualTypeOf<Buffer>();
    });
    ws.on('ping', (data) => expectTypeOf(data).toEqualTypeOf<Buffer>());
    // @ts-expect-error unknown event
    ws.on('nope', () => {});
  });

  it('types WHATWG events', () => {
    const ws = new WebSocket('ws://127.0.0.1:1/', ['chat'], {
      handshakeTimeout: 1000,
      perMessageDeflate: true,
    });
    ws.addEventListener('message', (ev) => expectTypeOf(ev).toEqualTypeOf<WsMessageEvent>());
    ws.onclose = (ev) => expectTypeOf(ev).toEqualTypeOf<WsCloseEvent>();
    expectTypeOf(ws.readyState).toEqualTypeOf<0 | 1 | 2 | 3>();
    expectTypeOf(ws.send).parameter(0).toEqualTypeOf<string | Buffer | ArrayBuffer | ArrayBufferView>();
    ws.send(Buffer.from('ok'), { binary: false }, (err) =>
      expectTypeOf(err).toEqualTypeOf<Error | undefined>(),
    );
    ws.send('ok', { binary: true });
    // @ts-expect-error binary is a boolean
    ws.send('ok', { binary: 1 });
  });

  it('types server events and errors', () => {
    const wss = new WebSocketServer({ noServer: true });
    wss.on('connection', (ws, req) => {
      expectTypeOf(ws).toEqualTypeOf<WebSocket>();
      expectTypeOf(req).toEqualTypeOf<IncomingMessage>();
    });
    expectTypeOf(wss.close()).toEqualTypeOf<Promise<void>>();
    expectTypeOf<WebSocketError['code']>().toExtend<`WS_ERR_${string}`>();
  });
});
