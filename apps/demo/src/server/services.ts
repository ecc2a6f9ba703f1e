// The Bayeux side of the demos: the /service/** channels pages call, the security policy (pages publish to
// services only; broadcasts come from the server), and the bookkeeping on server events (a session that
// ends leaves the game; its chat presence leave is the server's own).

import type { BayeuxServer, SecurityPolicy } from '@pushwire/server';
import { type BoardClear, CHANNELS } from '../shared/protocol.js';
import { ChatError, type ChatRooms } from './chat.js';
import { type Game, GameError } from './game.js';
import { type PhotoDesk, recentPhotos } from './photos.js';
import { BoardError, boardStrokes, type Whiteboard } from './whiteboard.js';

export interface DemoState {
  chat: ChatRooms;
  board: Whiteboard;
  photos: PhotoDesk;
  game: Game;
}

/**
 * The demos' broadcast channels, written by the server only: pages talk to services, and what reaches the
 * others is the server's checked version. Any other channel is a plain Bayeux channel (the endpoint is the
 * same as `pushwire serve`'s, so the README's client example works against `npm start`).
 */
const DEMO_BROADCAST = /^\/(chat\/(messages|typing)\/[^/]+|whiteboard\/.+|photos\/.+|game\/.+|clock)$/;

export function isDemoBroadcast(channel: string): boolean {
  return DEMO_BROADCAST.test(channel);
}

export const demoSecurityPolicy: SecurityPolicy = {
  canPublish: (clientId, channel) => clientId !== undefined && !isDemoBroadcast(channel),
};

function field(data: unknown, name: string): unknown {
  return typeof data === 'object' && data !== null ? (data as Record<string, unknown>)[name] : undefined;
}

/** Errors meant for the person (ChatError, ...) become the service failure's `data.message`. */
function userError(err: unknown): boolean {
  return err instanceof ChatError || err instanceof BoardError || err instanceof GameError;
}

export function registerServices(
  bayeux: BayeuxServer,
  state: DemoState,
  onError: (err: unknown) => void,
): void {
  const { chat, board, game } = state;
  const guard =
    <T>(fn: (data: unknown, clientId: string) => T | Promise<T>) =>
    async (data: unknown, ctx: { clientId: string }): Promise<T> => {
      try {
        return await fn(data, ctx.clientId);
      } catch (err) {
        if (userError(err)) throw err;
        onError(err);
        throw new Error('the demo server failed; see its log');
      }
    };
  const publish = (channel: string, data: unknown): void => {
    bayeux.publish(channel, data).catch(onError);
  };

  bayeux.addService(CHANNELS.echo, (data) => data);

  // A page joins a room by subscribing to /chat/messages/<room> (presence makes it a member, with the
  // info its handshake gave); this answers what it needs to show at once: recent messages and members.
  bayeux.addService(
    CHANNELS.chatJoin,
    guard(async (data, clientId) => {
      const room = chat.room(field(data, 'room'));
      return chat.welcome(room, await chat.sender(clientId, room));
    }),
  );
  bayeux.addService(
    CHANNELS.chatSend,
    guard(async (data, clientId) => {
      const room = chat.room(field(data, 'room'));
      const message = chat.message(clientId, await chat.sender(clientId, room), data);
      publish(CHANNELS.chatMessages(room), message);
      return { id: message.id };
    }),
  );
  bayeux.addService(
    CHANNELS.chatTyping,
    guard(async (data, clientId) => {
      const room = chat.room(field(data, 'room'));
      publish(
        CHANNELS.chatTypingEvents(room),
        chat.typing(clientId, await chat.sender(clientId, room), data),
      );
      return { ok: true };
    }),
  );

  bayeux.addService(
    CHANNELS.boardStroke,
    guard((data, clientId) => {
      const stroke = board.check(data);
      board.allow(clientId);
      publish(CHANNELS.boardStrokes, stroke);
      return { id: stroke.id };
    }),
  );
  bayeux.addService(
    CHANNELS.boardClear,
    guard((_data, clientId) => {
      board.allow(clientId);
      // In the strokes' own stream: the history's drawing restarts after it, in the engine's order.
      publish(CHANNELS.boardStrokes, { clear: true, at: Date.now() } satisfies BoardClear);
      return { cleared: true };
    }),
  );
  bayeux.addService(
    CHANNELS.boardState,
    guard(async () => ({ strokes: await boardStrokes(bayeux) })),
  );

  bayeux.addService(
    CHANNELS.photosRecent,
    guard(async () => ({ photos: await recentPhotos(bayeux) })),
  );

  bayeux.addService(
    CHANNELS.gameJoin,
    guard((data, clientId) => game.join(clientId, field(data, 'nick'))),
  );
  bayeux.addService(
    CHANNELS.gameInput,
    guard((data, clientId) => {
      game.input(clientId, data);
      return null;
    }),
  );
  bayeux.addService(
    CHANNELS.gameLeave,
    guard((_data, clientId) => {
      game.leave(clientId);
      return null;
    }),
  );

  bayeux.on('disconnect', ({ clientId }) => {
    chat.forget(clientId);
    game.leave(clientId);
    board.forget(clientId);
  });
}
