// Issue 8 item 7: every client that hung up mid-POST came out as an internal 'error' event (20,582 after one
// test). A peer going away is network weather: it is counted (server.stats['aborted-body'], diagnostics
// channel pushwire:bayeux:refused) and never reported as an error; its connection slot is given back.
import diagnostics from 'node:diagnostics_channel';
import { afterEach, describe, expect, it } from 'vitest';
import { type BayeuxHarness, startBayeux } from './bayeux-support.js';
import { HANDSHAKE, postMessages } from './http-support.js';
import { rawSocket, until } from './support.js';

let h: BayeuxHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('aborted request bodies', () => {
  it('200 clients hanging up mid-POST: counted, no error event, every slot released, server fine', async () => {
    h = await startBayeux();
    const errors: unknown[] = [];
    h.bayeux.on('error', (e) => errors.push(e.error));
    const told: unknown[] = [];
    const onRefused = (m: unknown): void => {
      told.push(m);
    };
    diagnostics.subscribe('pushwire:bayeux:refused', onRefused);
    try {
      for (let i = 0; i < 200; i += 20) {
        const batch = await Promise.all(Array.from({ length: 20 }, () => rawSocket(h!.port)));
        for (const s of batch) {
          s.write(
            'POST /bayeux HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n' +
              'Content-Length: 1000\r\n\r\n[{"channel":"/meta/hand',
          );
        }
        // Every one is reading its body (holds a slot); then they go, half with a FIN, half with a RST.
        await until(() => h!.bayeux.connections === 20, 5000, 'requests reached the server');
        batch.forEach((s, k) => {
          if (k % 2 === 0) s.resetAndDestroy();
          else s.destroy();
        });
        await until(() => h!.bayeux.connections === 0, 5000, 'slots released');
      }
      await until(() => h!.bayeux.stats['aborted-body'] === 200, 10_000, 'every abort counted');
      expect(errors).toEqual([]);
      expect(told).toHaveLength(200);
      expect(told[0]).toMatchObject({ reason: 'aborted-body', remoteAddress: '127.0.0.1' });
      await until(() => h!.bayeux.connections === 0, 5000, 'every slot released');
      expect((await postMessages(h.port, [HANDSHAKE])).messages[0]?.successful).toBe(true);
    } finally {
      diagnostics.unsubscribe('pushwire:bayeux:refused', onRefused);
    }
  });
});
