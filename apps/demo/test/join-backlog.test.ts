// maxRawJoinBacklog: the live messages held for a raw chatter while its welcome is made, crossed by one
// without timing a real race: the component fed directly, then over a real socket with the welcome's history
// read held open by the engine (messages sent meanwhile are what the backlog holds).
import type { Client } from '@pushwire/client';
import { type HistoryLimits, type HistoryQuery, type HistoryRead, MemoryEngine } from '@pushwire/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JoinBacklog } from '../src/server/join-backlog.js';
import { DEMO_DEFAULTS, resolveDemoOptions } from '../src/server/options.js';
import type { DemoServer } from '../src/server/server.js';
import type { ChatMessage } from '../src/shared/protocol.js';
import { chatClient, demo, rawChatter, waitFor } from './helpers.js';

describe('JoinBacklog (maxRawJoinBacklog)', () => {
  it('holds exactly the limit; one more says close', () => {
    const limit = 3;
    const backlog = new JoinBacklog<number>(limit);
    expect(backlog.holding).toBe(true);
    for (let i = 1; i <= limit; i++) expect(backlog.hold(i)).toBe(true);
    expect(backlog.hold(limit + 1)).toBe(false);
  });

  it('releases what it held, oldest first, and holds nothing after', () => {
    const backlog = new JoinBacklog<string>(2);
    expect(backlog.hold('a')).toBe(true);
    expect(backlog.hold('b')).toBe(true);
    expect(backlog.release()).toEqual(['a', 'b']);
    expect(backlog.holding).toBe(false);
    expect(backlog.release()).toEqual([]);
    expect(() => backlog.hold('c')).toThrow(/after release/);
  });

  it('the default holds 100: the 100th is held, the 101st is not', () => {
    const { maxRawJoinBacklog } = resolveDemoOptions({});
    expect(maxRawJoinBacklog).toBe(DEMO_DEFAULTS.maxRawJoinBacklog);
    expect(maxRawJoinBacklog).toBe(100);
    const backlog = new JoinBacklog<number>(maxRawJoinBacklog);
    for (let i = 0; i < 100; i++) expect(backlog.hold(i)).toBe(true);
    expect(backlog.hold(100)).toBe(false);
    expect(() => resolveDemoOptions({ maxRawJoinBacklog: 0 })).toThrow(/maxRawJoinBacklog/);
  });
});

/**
 * The memory engine, with the welcome's history read of one channel held open: the read is made, then its
 * answer waits for `release()`, so messages published meanwhile reach the joining raw chatter's session
 * after the read's position: exactly the messages its join backlog must hold. No timing: the test waits for
 * the read to be made and for the messages to be delivered.
 */
class HeldReadEngine extends MemoryEngine {
  #held: { channel: string; made: () => void; release: Promise<void> } | undefined;

  /** Holds the next read of `channel`; resolves `made` once it is read, answers after `release` settles. */
  hold(channel: string, release: Promise<void>): Promise<void> {
    return new Promise((made) => {
      this.#held = { channel, made, release };
    });
  }

  override async readHistory(
    channel: string,
    query: HistoryQuery,
    limits: HistoryLimits,
  ): Promise<HistoryRead> {
    const read = await super.readHistory(channel, query, limits);
    const held = this.#held;
    if (held !== undefined && held.channel === channel) {
      this.#held = undefined;
      held.made();
      await held.release;
    }
    return read;
  }
}

describe('the join backlog over a real socket', () => {
  const LIMIT = 3;
  const engine = new HeldReadEngine({ maxInterval: 10_000, sweepInterval: 1000 });
  let server: DemoServer;
  const clients: Client[] = [];
  beforeAll(async () => {
    server = await demo({ engine, maxRawJoinBacklog: LIMIT });
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.disconnect().catch(() => undefined)));
    await server.close();
    await engine.close();
  });

  /** ann in `room`, having said `before`; resolves with a function that sends and waits to see it. */
  async function speaker(room: string): Promise<(text: string) => Promise<void>> {
    const ann = chatClient(server, 'ann', 'websocket');
    clients.push(ann);
    const seen: string[] = [];
    await ann.subscribe(`/chat/messages/${room}`, (m) => seen.push((m as ChatMessage).text));
    return async (text) => {
      await ann.remoteCall('/service/chat/send', { room, text });
      // ann is a network hop away; the joining chatter's session is in-process, so it has it by now.
      await waitFor(() => (seen.includes(text) ? true : undefined), `ann seeing '${text}'`);
    };
  }

  it('messages sent while a raw chatter joins come after its welcome, in order, none missed or doubled', async () => {
    const say = await speaker('held');
    await say('before');
    let release = (): void => undefined;
    const made = engine.hold('/chat/messages/held', new Promise<void>((r) => (release = r)));
    const rob = rawChatter(server, 'room=held&nick=rob');
    await made;
    for (let i = 1; i <= LIMIT; i++) await say(`during ${i}`);
    release();
    const welcome = await rob.next('welcome');
    expect(welcome.recent.map((m) => m.text)).toEqual(['before']);
    await rob.next('message', (m) => m.text === `during ${LIMIT}`);
    await say('after');
    await rob.next('message', (m) => m.text === 'after');
    const texts = rob.frames.flatMap((f) =>
      f.type === 'message' ? [f.text] : f.type === 'welcome' ? ['<welcome>'] : [],
    );
    expect(texts).toEqual(['<welcome>', 'during 1', 'during 2', 'during 3', 'after']);
    rob.ws.close();
  });

  it('maxRawJoinBacklog crossed by one closes the joining socket with 1013 (try again)', async () => {
    const say = await speaker('busy');
    let release = (): void => undefined;
    const made = engine.hold('/chat/messages/busy', new Promise<void>((r) => (release = r)));
    const rob = rawChatter(server, 'room=busy&nick=rob');
    await made;
    for (let i = 1; i <= LIMIT + 1; i++) await say(`during ${i}`);
    const closed = await rob.closed;
    release();
    expect(closed).toEqual({ code: 1013, reason: 'the room is too busy to join now; try again' });
    expect(rob.frames.filter((f) => f.type === 'welcome' || f.type === 'message')).toEqual([]);
  });
});
