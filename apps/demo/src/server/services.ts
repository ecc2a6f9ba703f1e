// The Bayeux side of the demos: the /service/** channels pages call, the security policy (pages publish to
// services only; broadcasts come from the server), and the bookkeeping on server events (a session that
// ends leaves its chat room and the game).

import type { BayeuxServer, SecurityPolicy } from '@pushwire/server';
import { CHANNELS, type ChatMessage, isTechnique } from '../shared/protocol.js';
import { ChatError, type ChatRooms } from './chat.js';
import { type Game, GameError } from './game.js';
import type { PhotoStore } from './photos.js';
import { BoardError, type Whiteboard } from './whiteboard.js';

export interface DemoState {
  chat: ChatRooms;
  board: Whiteboard;
  photos: PhotoStore;
  game: Game;
}

/**
 * The demos' broadcast channels, written by the server only: pages talk to services, and what reaches the
 * others is the server's checked version. Any other channel is a plain Bayeux channel (the endpoint is the
 * same as `pushwire serve`'s, so the README's client example works against `npm start`).
 */
const DEMO_BROADCAST =
  /^\/(chat\/[^/]+\/(messages|presence|typing)|whiteboard\/.+|photos\/.+|game\/.+|clock)$/;

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
  const { chat, board, photos, game } = state;
  const guard =
    <T>(fn: (data: unknown, clientId: string) => T) =>
    (data: unknown, ctx: { clientId: string }): T => {
      try {
        return fn(data, ctx.clientId);
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

  bayeux.addService(
    CHANNELS.chatJoin,
    guard((data, clientId) => {
      const technique = field(data, 'technique');
      return chat.join(
        clientId,
        field(data, 'room'),
        field(data, 'nick'),
        isTechnique(technique) && technique !== 'raw-websocket' ? technique : 'long-polling',
      );
    }),
  );
  bayeux.addService(
    CHANNELS.chatLeave,
    guard((_data, clientId) => {
      chat.leave(clientId);
      return { left: true };
    }),
  );
  bayeux.addService(
    CHANNELS.chatSend,
    guard((data, clientId) => {
      const room = String(field(data, 'room'));
      const message = chat.message(clientId, room, data);
      publish(CHANNELS.chatMessages(room), message);
      return { id: message.id };
    }),
  );
  bayeux.addService(
    CHANNELS.chatTyping,
    guard((data, clientId) => {
      const room = String(field(data, 'room'));
      publish(CHANNELS.chatTypingEvents(room), chat.typing(clientId, room, data));
      return { ok: true };
    }),
  );

  bayeux.addService(
    CHANNELS.boardStroke,
    guard((data, clientId) => {
      const stroke = board.check(data);
      board.allow(clientId);
      board.add(stroke);
      publish(CHANNELS.boardStrokes, stroke);
      return { id: stroke.id };
    }),
  );
  bayeux.addService(
    CHANNELS.boardClear,
    guard((_data, clientId) => {
      board.allow(clientId);
      board.clear();
      publish(CHANNELS.boardCleared, { at: Date.now() });
      return { cleared: true };
    }),
  );
  bayeux.addService(CHANNELS.boardState, () => ({ strokes: board.strokes() }));

  bayeux.addService(CHANNELS.photosRecent, () => ({ photos: photos.recent() }));

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

  bayeux.on('publish', ({ channel, data }) => {
    const match = /^\/chat\/([a-z0-9-]+)\/messages$/.exec(channel);
    if (match?.[1] !== undefined) chat.record(match[1], data as ChatMessage);
  });
  bayeux.on('disconnect', ({ clientId }) => {
    chat.leave(clientId);
    game.leave(clientId);
    board.forget(clientId);
  });
}
