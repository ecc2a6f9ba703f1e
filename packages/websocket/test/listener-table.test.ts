// The connection's listener table (event-target.ts ListenerTable): a fast-mode null-prototype object instead
// of EventEmitter's dictionary, for memory per idle connection. It must behave exactly like the default:
// no inherited keys, the same names, counts and order, the WHATWG and Node styles side by side.
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { WebSocket } from '../src/websocket.js';

describe('listener table', () => {
  it('inherits no keys: no event name finds a listener it was not given', () => {
    const ws = new WebSocket(null);
    const table = (ws as unknown as { _events: object })._events;
    for (const name of ['toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf']) {
      expect(name in table).toBe(false);
      expect(ws.listenerCount(name as never)).toBe(0);
      expect((ws as unknown as EventEmitter).emit(name, 1)).toBe(false);
    }
    expect(Object.getPrototypeOf(Object.getPrototypeOf(table))).toBeNull();
    expect(ws.eventNames()).toEqual([]);
  });

  it('names, counts, order, once and removal behave as an EventEmitter', () => {
    const ws = new WebSocket(null) as unknown as EventEmitter;
    const plain = new EventEmitter();
    const seen: string[] = [];
    for (const e of [ws, plain]) {
      const a = (): void => {
        seen.push('a');
      };
      const b = (): void => {
        seen.push('b');
      };
      e.on('message', a);
      e.once('message', b);
      e.on('toString', a);
      e.on('__proto__', b);
      expect(e.eventNames()).toEqual(['message', 'toString', '__proto__']);
      expect(e.listenerCount('message')).toBe(2);
      expect(e.emit('message')).toBe(true);
      expect(e.emit('message')).toBe(true);
      expect(e.emit('toString')).toBe(true);
      expect(e.emit('__proto__')).toBe(true);
      e.off('message', a);
      e.off('toString', a);
      expect(e.eventNames()).toEqual(['__proto__']);
      e.removeAllListeners();
      expect(e.eventNames()).toEqual([]);
      expect(e.emit('message')).toBe(false);
    }
    // Both emitters saw the same calls in the same order.
    expect(seen).toEqual(['a', 'b', 'a', 'a', 'b', 'a', 'b', 'a', 'a', 'b']);
  });

  it('onmessage and addEventListener share the table with on()', () => {
    const ws = new WebSocket(null);
    const order: string[] = [];
    ws.on('error', () => order.push('on'));
    ws.onerror = () => order.push('onerror');
    ws.addEventListener('error', () => order.push('listener'));
    expect(ws.listenerCount('error')).toBe(3);
    ws.emit('error', new Error('x'));
    expect(order).toEqual(['on', 'onerror', 'listener']);
    ws.onerror = null;
    expect(ws.listenerCount('error')).toBe(2);
  });
});
