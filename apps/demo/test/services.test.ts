import { describe, expect, it } from 'vitest';
import { demoPerFile, waitFor } from './helpers.js';

const fixture = demoPerFile({});
const { client } = fixture;

describe('whiteboard and game services', () => {
  it('a stroke is checked, broadcast, and in the state a late joiner fetches; clear empties it for everyone', async () => {
    const a = client('websocket');
    const seen: unknown[] = [];
    let cleared = 0;
    await a.subscribe('/whiteboard/strokes', (s) => {
      if ((s as { clear?: boolean }).clear === true) cleared++;
      else seen.push(s);
    });
    const stroke = { id: 's1', color: '#2e86ab', width: 8, points: [0.1, 0.1, 0.2, 0.25] };
    await a.remoteCall('/service/whiteboard/stroke', stroke);
    await waitFor(() => (seen.length === 1 ? true : undefined), 'the stroke');
    expect(seen[0]).toEqual(stroke);
    const late = client();
    expect(await late.remoteCall('/service/whiteboard/state', {})).toEqual({ strokes: [stroke] });
    await expect(
      a.remoteCall('/service/whiteboard/stroke', { ...stroke, color: 'url(x)' }),
    ).rejects.toMatchObject({
      reply: { data: { message: expect.stringMatching(/colour must be one of/) } },
    });
    await late.remoteCall('/service/whiteboard/clear', {});
    await waitFor(() => (cleared === 1 ? true : undefined), 'the clear');
    expect(await late.remoteCall('/service/whiteboard/state', {})).toEqual({ strokes: [] });
  });

  it('a player steers and /game/state shows it moving; disconnecting leaves the game', async () => {
    const p = client('websocket');
    const states: { players: { id: string; x: number }[] }[] = [];
    await p.subscribe('/game/state', (s) => states.push(s as never));
    const { id } = await p.remoteCall<{ id: string }>('/service/game/join', { nick: 'runner' });
    await p.remoteCall('/service/game/input', { dx: -1, dy: 0 });
    const first = await waitFor(() => states.at(-1)?.players.find((x) => x.id === id), 'a state');
    await waitFor(
      () =>
        states.at(-1)?.players.find((x) => x.id === id && (x.x < first.x || x.x <= 16)) ? true : undefined,
      'the player moving left',
    );
    await p.disconnect();
    await waitFor(
      () => (fixture.server.state.game.playerCount === 0 ? true : undefined),
      'the player to leave',
    );
  });
});
