// A WebSocket Bayeux client that floods frames faster than the server can process them (here: an async
// security policy that takes its time, like a database lookup). Frames of one socket are processed in
// order (transports/websocket.ts), so unprocessed frames wait somewhere: DESIGN.md "Bounded everything"
// (limits on every ingress path) asks that this wait be bounded, i.e. that the server stop reading the
// socket (TCP backpressure on the flooder) instead of queueing every frame in memory.
import type { Message } from '@pushwire/bayeux';
import { afterEach, describe, expect, it } from 'vitest';
import { type BayeuxHarness, RawBayeuxWs, startBayeux } from './bayeux-support.js';
import { until } from './support.js';

let h: BayeuxHarness | undefined;
let release: (() => void) | undefined;
let flooder: RawBayeuxWs | undefined;
afterEach(async () => {
  await flooder?.end();
  flooder = undefined;
  release?.();
  await h?.close();
  h = undefined;
});

describe('frame flood while processing is slow', () => {
  // Regression (found by HARDENING, fixed in 724f7c8 with maxPendingFrames): every incoming frame used to
  // be appended to a per-socket promise chain while the socket kept being read, so a client could park any
  // amount of data in server memory behind a slow async hook (all 32 MiB taken off the wire while one frame
  // had been processed).
  it('the server stops reading a socket whose frames are not being processed', async () => {
    let gateOpen = false;
    const waiting: (() => void)[] = [];
    release = () => {
      gateOpen = true;
      for (const w of waiting.splice(0)) w();
    };
    let asked = 0;
    h = await startBayeux({
      securityPolicy: {
        canPublish: () => {
          asked++;
          return gateOpen ? true : new Promise<boolean>((resolve) => waiting.push(() => resolve(true)));
        },
      },
    });
    const c = await RawBayeuxWs.open(h.port);
    flooder = c;
    const clientId = await c.join('/flood/self');
    const payload = 'p'.repeat(32 * 1024);
    const frames = 1024; // 32 MiB in total
    for (let i = 0; i < frames; i++) {
      const m: Message = { channel: '/flood/x', clientId, data: payload, id: `f${i}` };
      c.send([m]);
    }
    // The first publish is stuck in the policy; nothing after it is processed.
    await until(() => asked === 1, 5000, 'first publish reached the policy');
    // Give the server every chance to read what it wants: wait until the flooder's writes stop moving.
    let last = -1;
    let still = 0;
    await until(
      () => {
        const pending = c.socket.writableLength;
        still = pending === last ? still + 1 : 0;
        last = pending;
        return still > 3000 || pending === 0;
      },
      20_000,
      'flooder writes settle',
    );
    expect(asked).toBe(1);
    // Bounded: most of the 32 MiB must still be on the flooder's side (its socket buffer), not parked in
    // the server. Kernel buffers on loopback hold a few MiB; 16 MiB is a generous line.
    expect(c.socket.writableLength).toBeGreaterThan(16 * 1024 * 1024);
  });
});
