// SocketPush (the fan-out over WebSockets): socket flushing with backpressure (maxSocketBuffer crossed by
// one), push coalescing, one shared immediate.
import { describe, expect, it, vi } from 'vitest';
import { type FlushSource, type SocketBinding, SocketPush } from '../src/socket-push.js';

class FakeSocket implements SocketBinding {
  readonly frames: string[] = [];
  open = true;
  bufferedAmount = 0;
  #drain: (() => void)[] = [];
  send(text: string): void {
    this.frames.push(text);
  }
  onceDrained(listener: () => void): void {
    this.#drain.push(listener);
  }
  drain(): void {
    this.bufferedAmount = 0;
    for (const l of this.#drain.splice(0)) l();
  }
}

function rethrow(err: unknown): never {
  throw err;
}

function queueOf(items: string[]): FlushSource {
  return { take: async () => items.splice(0), onError: rethrow };
}

describe('SocketPush socket flushing', () => {
  it('maxSocketBuffer: at the limit it still pushes; one byte more and it waits for drain, leaving the queue', async () => {
    const c = new SocketPush(1000);
    const socket = new FakeSocket();
    c.bindSocket('a', socket);
    const queue = ['1', '2'];
    socket.bufferedAmount = 1000;
    await c.flushSocket('a', queueOf(queue));
    expect(socket.frames).toEqual(['[1,2]']);
    queue.push('3');
    socket.bufferedAmount = 1001;
    await c.flushSocket('a', queueOf(queue));
    expect(socket.frames).toEqual(['[1,2]']);
    expect(queue).toEqual(['3']);
    queue.push('4');
    socket.drain();
    await new Promise((r) => setImmediate(r));
    expect(socket.frames).toEqual(['[1,2]', '[3,4]']);
  });

  it('coalesces every wake of one event-loop turn into one frame', async () => {
    const c = new SocketPush();
    const socket = new FakeSocket();
    c.bindSocket('a', socket);
    const queue: string[] = [];
    let takes = 0;
    const take = async () => {
      takes++;
      return queue.splice(0);
    };
    for (const m of ['1', '2', '3']) {
      queue.push(m);
      c.scheduleFlush('a', { take, onError: rethrow });
    }
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(socket.frames).toEqual(['[1,2,3]']);
    expect(takes).toBe(1);
  });

  it('one shared setImmediate flushes every woken client; a synchronous take is used as is', async () => {
    const c = new SocketPush();
    const a = new FakeSocket();
    const b = new FakeSocket();
    c.bindSocket('a', a);
    c.bindSocket('b', b);
    const queues = new Map([
      ['a', ['1']],
      ['b', ['2', '3']],
    ]);
    const source: FlushSource = { take: (id) => queues.get(id)?.splice(0) ?? [], onError: rethrow };
    const spy = vi.spyOn(globalThis, 'setImmediate');
    try {
      c.scheduleFlush('a', source);
      c.scheduleFlush('b', source);
      c.scheduleFlush('a', source);
      expect(spy).toHaveBeenCalledTimes(1);
    } finally {
      spy.mockRestore();
    }
    await new Promise((r) => setImmediate(r));
    expect(a.frames).toEqual(['[1]']);
    expect(b.frames).toEqual(['[2,3]']);
  });

  it('hands messages back when the socket closed while the queue was being taken', async () => {
    const c = new SocketPush();
    const socket = new FakeSocket();
    c.bindSocket('a', socket);
    const back: string[][] = [];
    await c.flushSocket('a', {
      take: async () => {
        socket.open = false;
        return ['1', '2'];
      },
      putBack: (_id, m) => back.push(m),
      onError: rethrow,
    });
    expect(socket.frames).toEqual([]);
    expect(back).toEqual([['1', '2']]);
  });

  it('does not push to a closed or unbound socket', async () => {
    const c = new SocketPush();
    const socket = new FakeSocket();
    c.bindSocket('a', socket);
    socket.open = false;
    const queue = ['1'];
    await c.flushSocket('a', queueOf(queue));
    expect(queue).toEqual(['1']);
    c.unbindSocket('a', socket);
    expect(c.socketOf('a')).toBeUndefined();
  });
});

describe('SocketPush frame bound (maxReplyBytes)', () => {
  /** A source over one queue that honours maxBytes as the engine does (at least one message). */
  function bounded(queue: string[]): FlushSource & { takes: number[] } {
    const takes: number[] = [];
    return {
      takes,
      take: (_id, maxBytes) => {
        takes.push(maxBytes);
        let n = 0;
        let sum = 0;
        while (n < queue.length) {
          const size = Buffer.byteLength(queue[n]!);
          if (n > 0 && sum + size > maxBytes) break;
          sum += size;
          n++;
        }
        return queue.splice(0, n);
      },
      hasMore: () => queue.length > 0,
      onError: rethrow,
    };
  }

  it('crossed by one: at the bound two messages share a frame, one byte less and they go one per frame', async () => {
    for (const [max, frames] of [
      [8, ['["ab","cd"]']],
      [7, ['["ab"]', '["cd"]']],
    ] as const) {
      const c = new SocketPush(Number.POSITIVE_INFINITY, max);
      const socket = new FakeSocket();
      c.bindSocket('a', socket);
      await c.flushSocket('a', bounded(['"ab"', '"cd"']));
      expect(socket.frames).toEqual(frames);
    }
  });

  it('a backlog goes frame after frame, waiting for drain between frames when the socket is full', async () => {
    const c = new SocketPush(0, 4);
    const socket = new FakeSocket();
    c.bindSocket('a', socket);
    const queue = ['"1"', '"2"', '"3"'];
    const source = bounded(queue);
    // Each frame fills the socket (bufferedAmount > 0 = maxSocketBuffer): the next waits for 'drain'.
    socket.send = function (this: FakeSocket, text) {
      this.frames.push(String(text));
      this.bufferedAmount = 10;
    };
    await c.flushSocket('a', source);
    expect(socket.frames).toEqual(['["1"]']);
    socket.drain();
    await new Promise((r) => setImmediate(r));
    socket.drain();
    await new Promise((r) => setImmediate(r));
    expect(socket.frames).toEqual(['["1"]', '["2"]', '["3"]']);
    expect(queue).toEqual([]);
    expect(source.takes.every((m) => m === 4)).toBe(true);
  });

  it('a take that says whether more is queued (Engine.takeQueueWithMore) is not followed by a take to find out', async () => {
    const c = new SocketPush(Number.POSITIVE_INFINITY, 4);
    const socket = new FakeSocket();
    c.bindSocket('a', socket);
    const queue = ['"1"', '"2"', '"3"'];
    const inner = bounded(queue);
    let takes = 0;
    const source: FlushSource = {
      take: async (id, maxBytes) => {
        takes++;
        const messages = inner.take(id, maxBytes) as string[];
        return { messages, more: queue.length > 0 };
      },
      onError: rethrow,
    };
    await c.flushSocket('a', source);
    expect(socket.frames).toEqual(['["1"]', '["2"]', '["3"]']);
    // Three frames, three takes: the last said nothing was left (a plain array would cost a fourth).
    expect(takes).toBe(3);
  });
});

describe('SocketPush: a synchronous take flushes without a promise', () => {
  it('a take answered with an array is sent at once and flushSocket returns undefined', () => {
    const c = new SocketPush();
    const socket = new FakeSocket();
    c.bindSocket('a', socket);
    const queue = ['1', '2'];
    const result = c.flushSocket('a', { take: () => queue.splice(0), onError: rethrow });
    expect(result).toBeUndefined();
    expect(socket.frames).toEqual(['[1,2]']);
    // The flush is over: the next one runs too (nothing left marked as flushing).
    queue.push('3');
    expect(c.flushSocket('a', { take: () => queue.splice(0), onError: rethrow })).toBeUndefined();
    expect(socket.frames).toEqual(['[1,2]', '[3]']);
  });

  it('a synchronous take that throws comes back as a rejected promise, and the client can flush again', async () => {
    const c = new SocketPush();
    const socket = new FakeSocket();
    c.bindSocket('a', socket);
    const failing: FlushSource = {
      take: () => {
        throw new Error('engine closed');
      },
      onError: rethrow,
    };
    await expect(c.flushSocket('a', failing)).rejects.toThrow('engine closed');
    expect(c.flushSocket('a', { take: () => ['1'], onError: rethrow })).toBeUndefined();
    expect(socket.frames).toEqual(['[1]']);
  });

  it('a take answered with a promise still flushes (Redis), and a wake meanwhile is not lost', async () => {
    const c = new SocketPush();
    const socket = new FakeSocket();
    c.bindSocket('a', socket);
    const queue = ['1'];
    const source = queueOf(queue);
    const first = c.flushSocket('a', source);
    expect(first).toBeInstanceOf(Promise);
    queue.push('2'); // queued while the take is in flight: asked for again
    expect(c.flushSocket('a', source)).toBeUndefined();
    await first;
    expect(socket.frames.join('')).toBe('[1][2]');
  });
});

describe('SocketPush: the first takes of a turn in one call (FlushSource.takeMany, issue 12)', () => {
  /** Queues per client; takeMany records each call's ids, take each single take's id. */
  function batchedSource(queues: Map<string, string[]>, maxPerTake = Number.POSITIVE_INFINITY) {
    const calls: string[][] = [];
    const singles: string[] = [];
    const errors: unknown[] = [];
    const putBacks: Array<[string, string[]]> = [];
    const takeOne = (id: string) => {
      const q = queues.get(id) ?? [];
      const messages = q.splice(0, maxPerTake);
      return { messages, more: q.length > 0 };
    };
    const source: FlushSource = {
      take: async (id) => {
        singles.push(id);
        return takeOne(id);
      },
      takeMany: async (ids) => {
        calls.push([...ids]);
        return ids.map(takeOne);
      },
      putBack: (id, messages) => {
        putBacks.push([id, messages]);
      },
      onError: (err) => {
        errors.push(err);
      },
    };
    return { source, calls, singles, errors, putBacks };
  }

  const turn = () => new Promise((r) => setImmediate(r));

  it('one takeMany for every woken client with a socket; each gets its own frame', async () => {
    const c = new SocketPush();
    const sockets = ['a', 'b', 'c'].map((id) => {
      const s = new FakeSocket();
      c.bindSocket(id, s);
      return s;
    });
    const queues = new Map([
      ['a', ['1']],
      ['b', ['2', '3']],
      ['c', ['4']],
    ]);
    const { source, calls, singles } = batchedSource(queues);
    for (const id of ['a', 'b', 'c', 'nobody']) c.scheduleFlush(id, source);
    await turn();
    await turn();
    expect(calls).toEqual([['a', 'b', 'c']]); // 'nobody' has no socket: not asked for
    expect(singles).toEqual([]);
    expect(sockets.map((s) => s.frames)).toEqual([['[1]'], ['[2,3]'], ['[4]']]);
  });

  it('a client with more queued goes on alone, frame after frame; a full socket waits for drain', async () => {
    const c = new SocketPush(100);
    const a = new FakeSocket();
    const full = new FakeSocket();
    full.bufferedAmount = 101;
    c.bindSocket('a', a);
    c.bindSocket('full', full);
    const queues = new Map([
      ['a', ['1', '2', '3']],
      ['full', ['9']],
    ]);
    const { source, calls, singles } = batchedSource(queues, 1);
    c.scheduleFlush('a', source);
    c.scheduleFlush('full', source);
    for (let i = 0; i < 6; i++) await turn();
    expect(calls).toEqual([['a']]);
    expect(singles).toEqual(['a', 'a']);
    expect(a.frames).toEqual(['[1]', '[2]', '[3]']);
    expect(full.frames).toEqual([]);
    full.drain();
    for (let i = 0; i < 3; i++) await turn();
    expect(full.frames).toEqual(['[9]']);
  });

  it('a socket closed during the take gets its messages put back; a wake meanwhile is not lost', async () => {
    const c = new SocketPush();
    const a = new FakeSocket();
    const b = new FakeSocket();
    c.bindSocket('a', a);
    c.bindSocket('b', b);
    const queues = new Map([
      ['a', ['1']],
      ['b', ['2']],
    ]);
    const batched = batchedSource(queues);
    // The engine's answer waits until the test lets it go (a round trip to Redis).
    let answer: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      answer = resolve;
    });
    const takeMany = batched.source.takeMany as NonNullable<FlushSource['takeMany']>;
    const source: FlushSource = {
      ...batched.source,
      takeMany: async (ids, max) => {
        const got = await takeMany(ids, max);
        await gate;
        return got;
      },
    };
    c.scheduleFlush('a', source);
    c.scheduleFlush('b', source);
    await turn(); // takeMany asked, not answered
    a.open = false;
    queues.get('b')?.push('3');
    c.scheduleFlush('b', source); // b is flushing: this asks for one more round
    await turn();
    answer();
    for (let i = 0; i < 4; i++) await turn();
    expect(batched.putBacks).toEqual([['a', ['1']]]);
    expect(b.frames).toEqual(['[2]', '[3]']);
    expect(batched.singles).toEqual(['b']); // the round asked for meanwhile
  });

  it('a failed takeMany is reported once, and every client can flush again', async () => {
    const c = new SocketPush();
    const a = new FakeSocket();
    const b = new FakeSocket();
    c.bindSocket('a', a);
    c.bindSocket('b', b);
    const errors: unknown[] = [];
    let fail = true;
    const source: FlushSource = {
      take: async () => [],
      takeMany: async (ids) => {
        if (fail) throw new Error('storage down');
        return ids.map((id) => ({ messages: [`"${id}"`], more: false }));
      },
      onError: (err) => {
        errors.push(err);
      },
    };
    c.scheduleFlush('a', source);
    c.scheduleFlush('b', source);
    await turn();
    await turn();
    expect(errors).toHaveLength(1);
    fail = false;
    c.scheduleFlush('a', source);
    c.scheduleFlush('b', source);
    await turn();
    await turn();
    expect([a.frames, b.frames]).toEqual([['["a"]'], ['["b"]']]);
  });
});
