// Admission: the connection count, the handshake windows and the per-address session counts, without sockets.
import diagnostics from 'node:diagnostics_channel';
import { describe, expect, it } from 'vitest';
import { Admission, RATE_WINDOW_MAX_ADDRESSES, RateWindow, RECHECK_MAX_SESSIONS } from '../src/admission.js';
import { resolveOptions } from '../src/options.js';
import { REFUSED_CHANNEL, StatsCounter } from '../src/stats.js';

function admission(o: Parameters<typeof resolveOptions>[0]): { a: Admission; stats: StatsCounter } {
  const stats = new StatsCounter();
  return { a: new Admission(resolveOptions(o), stats), stats };
}

describe('Admission', () => {
  it('maxConnections: slots taken and given back; one past the limit refused and counted', () => {
    const { a, stats } = admission({ maxConnections: 2 });
    expect(a.openConnection('x')).toBe(true);
    expect(a.openConnection('x')).toBe(true);
    expect(a.openConnection('x')).toBe(false);
    expect(stats.snapshot().connections).toBe(1);
    a.closeConnection();
    expect(a.openConnection('x')).toBe(true);
    a.closeConnection();
    a.closeConnection();
    a.closeConnection(); // never below zero
    expect(a.connections).toBe(0);
  });

  it('per-address sessions: reservations, cancellations and ends; the map holds only live addresses', () => {
    const { a } = admission({ maxSessionsPerAddress: 2, maxHandshakesPerAddress: 1000 });
    expect(a.admitHandshake(undefined, '10.0.0.1', 0)).toBeUndefined();
    a.sessionCreated('c1', '10.0.0.1');
    expect(a.admitHandshake(undefined, '10.0.0.1', 0)).toBeUndefined();
    a.cancelReservation('10.0.0.1');
    expect(a.admitHandshake(undefined, '10.0.0.1', 0)).toBeUndefined();
    a.sessionCreated('c2', '10.0.0.1');
    expect(a.admitHandshake(undefined, '10.0.0.1', 0)).toEqual({
      kind: 'sessions',
      scope: 'address',
      limit: 2,
    });
    expect(a.sessionsOf('10.0.0.1')).toBe(2);
    a.sessionEnded('c1');
    a.sessionEnded('c1'); // twice is once
    a.sessionEnded('unknown');
    expect(a.sessionsOf('10.0.0.1')).toBe(1);
    a.sessionEnded('c2');
    expect(a.trackedAddresses).toBe(0);
  });

  it('settleSessions: sessions the engine no longer holds (ended through another node) are forgotten', async () => {
    const { a, stats } = admission({ maxSessionsPerAddress: 2, maxHandshakesPerAddress: 1000 });
    for (const id of ['c1', 'c2']) {
      expect(a.admitHandshake(undefined, '10.0.0.1', 0)).toBeUndefined();
      a.sessionCreated(id, '10.0.0.1');
    }
    expect(a.admitHandshake(undefined, '10.0.0.1', 0)).toMatchObject({ kind: 'sessions' });
    const asked: string[] = [];
    const gone = new Set(['c1']);
    const exists = async (id: string) => {
      asked.push(id);
      return !gone.has(id);
    };
    // c1 expired elsewhere: its slot is free, and this handshake has it (reserved).
    expect(await a.settleSessions('10.0.0.1', exists)).toBeUndefined();
    expect(asked).toEqual(['c1', 'c2']);
    expect(a.sessionsOf('10.0.0.1')).toBe(2);
    expect(stats.snapshot().sessions).toBe(0);
    a.sessionCreated('c3', '10.0.0.1');
    a.sessionEnded('c1'); // told late as well: counted once
    expect(a.sessionsOf('10.0.0.1')).toBe(2);
    expect(await a.settleSessions('10.0.0.1', exists)).toMatchObject({ kind: 'sessions', limit: 2 });
    expect(stats.snapshot().sessions).toBe(1);
  });

  it('settleSessions checks at most RECHECK_MAX_SESSIONS a refusal, oldest first, then the others', async () => {
    const cap = RECHECK_MAX_SESSIONS + 1;
    const { a } = admission({ maxSessionsPerAddress: cap, maxHandshakesPerAddress: 10_000 });
    for (let i = 0; i < cap; i++) {
      expect(a.admitHandshake(undefined, '10.0.0.2', 0)).toBeUndefined();
      a.sessionCreated(`c${i}`, '10.0.0.2');
    }
    const newest = `c${cap - 1}`;
    const asked: string[] = [];
    const exists = async (id: string) => {
      asked.push(id);
      return id !== newest;
    };
    // The first refusal checks the RECHECK_MAX_SESSIONS oldest (all alive): refused.
    expect(await a.settleSessions('10.0.0.2', exists)).toMatchObject({ kind: 'sessions' });
    expect(asked).toHaveLength(RECHECK_MAX_SESSIONS);
    expect(asked).not.toContain(newest);
    // The next one reaches the session past them, gone: admitted.
    asked.length = 0;
    expect(await a.settleSessions('10.0.0.2', exists)).toBeUndefined();
    expect(asked[0]).toBe(newest);
  });

  it('never remembers more sessions than maxSessions: the oldest are forgotten first', () => {
    const { a } = admission({ maxSessions: 2, maxSessionsPerAddress: 10 });
    for (const [id, address] of [
      ['c1', 'a'],
      ['c2', 'b'],
      ['c3', 'b'],
    ]) {
      expect(a.admitHandshake(undefined, address as string, 0)).toBeUndefined();
      a.sessionCreated(id as string, address as string);
    }
    expect([a.sessionsOf('a'), a.sessionsOf('b'), a.trackedAddresses]).toEqual([0, 2, 1]);
  });

  it('rate windows: per connection and per address, each reset after a second', () => {
    const { a } = admission({ maxHandshakesPerConnection: 2, maxHandshakesPerAddress: 3 });
    const conn = {};
    const hit = (c: object | undefined, now: number) => {
      const r = a.admitHandshake(c, '10.0.0.2', now);
      if (r === undefined) a.cancelReservation('10.0.0.2');
      return r;
    };
    expect(hit(conn, 0)).toBeUndefined();
    expect(hit(conn, 10)).toBeUndefined();
    expect(hit(conn, 20)).toEqual({ kind: 'rate', scope: 'connection', limit: 2 });
    expect(hit({}, 30)).toBeUndefined();
    expect(hit({}, 40)).toEqual({ kind: 'rate', scope: 'address', limit: 3 });
    expect(hit(conn, 1000)).toBeUndefined();
  });

  it('IPv6: one /64 (ipv6PrefixLength) is one address for the session cap and the rate; ::ffff:v4 is v4', async () => {
    const { a } = admission({ maxSessionsPerAddress: 2, maxHandshakesPerAddress: 3 });
    expect(a.admitHandshake(undefined, '2001:db8:1:2::1', 0)).toBeUndefined();
    a.sessionCreated('c1', '2001:db8:1:2::1');
    expect(a.admitHandshake(undefined, '2001:db8:1:2::2', 0)).toBeUndefined();
    a.sessionCreated('c2', '2001:db8:1:2::2');
    const reported: unknown[] = [];
    const onRefused = (m: unknown): void => void reported.push(m);
    diagnostics.subscribe(REFUSED_CHANNEL, onRefused);
    expect(a.admitHandshake(undefined, '2001:db8:1:2:ffff::3', 0)).toEqual({
      kind: 'sessions',
      scope: 'address',
      limit: 2,
    });
    // Both sessions still exist: the refusal stands, and is counted.
    expect(await a.settleSessions('2001:db8:1:2:ffff::3', async () => true)).toMatchObject({
      kind: 'sessions',
    });
    // The fourth handshake from the /64 this second: past the rate, whatever the address.
    expect(a.admitHandshake(undefined, '2001:db8:1:2::4', 0)).toMatchObject({ kind: 'rate' });
    diagnostics.unsubscribe(REFUSED_CHANNEL, onRefused);
    // Counted under the /64, reported with the peer's own address.
    expect(reported).toEqual([
      { reason: 'sessions', remoteAddress: '2001:db8:1:2:ffff::3' },
      { reason: 'handshake-rate', remoteAddress: '2001:db8:1:2::4' },
    ]);
    expect(a.admitHandshake(undefined, '2001:db8:1:3::1', 0)).toBeUndefined();
    a.cancelReservation('2001:db8:1:3::1');
    expect(a.sessionsOf('2001:db8:1:2::99')).toBe(2);
    a.sessionEnded('c1');
    expect(a.sessionsOf('2001:db8:1:2::1')).toBe(1);
    a.sessionEnded('c2');
    expect(a.trackedAddresses).toBe(0);

    expect(a.admitHandshake(undefined, '::ffff:10.0.0.9', 0)).toBeUndefined();
    a.sessionCreated('c3', '::ffff:10.0.0.9');
    expect(a.sessionsOf('10.0.0.9')).toBe(1);

    const { a: exact } = admission({ maxSessionsPerAddress: 1, ipv6PrefixLength: 128 });
    expect(exact.admitHandshake(undefined, '2001:db8::1', 0)).toBeUndefined();
    expect(exact.admitHandshake(undefined, '2001:db8::2', 0)).toBeUndefined();
  });

  it('a rate window remembers at most maxKeys addresses a second; the rest share one count under the limit', () => {
    expect(RATE_WINDOW_MAX_ADDRESSES).toBe(100_000);
    const w = new RateWindow(3);
    for (const a of ['a', 'b', 'c']) expect(w.hit(a, 2, 0)).toBe(true);
    // Past 3 addresses: d, e and f count together (2 pass, the third is over), the known ones go on alone.
    expect([w.hit('d', 2, 0), w.hit('e', 2, 0), w.hit('f', 2, 0)]).toEqual([true, true, false]);
    expect(w.hit('a', 2, 0)).toBe(true);
    expect(w.hit('a', 2, 0)).toBe(false);
    expect(w.size).toBe(4);
    // The next second starts empty.
    expect(w.hit('f', 2, 1000)).toBe(true);
    expect(w.size).toBe(1);
  });
});
