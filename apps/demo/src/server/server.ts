// The demo server: one process, one port, on the component framework's App (@pushwire/components):
//   - the Bayeux server mounted at /bayeux (websocket, long-polling, callback-polling; short polling is
//     long-polling with advice.timeout 0),
//   - the site mounted beside it: pages and their scripts, the browser client at /pushwire.js, the photo
//     upload and the photos,
//   - the raw WebSocket chat routed at /ws/chat (a component behind WsServer), on the Bayeux rooms through
//     a BayeuxBridge (an in-process Bayeux session).

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { debuglog } from 'node:util';
import { App, type HttpMount } from '@pushwire/components';
import {
  type BayeuxServer,
  bundledClientScript,
  createBayeuxServer,
  serveClientScript,
} from '@pushwire/server';
import { CHANNELS, PATHS } from '../shared/protocol.js';
import { loadPageBundles } from './assets.js';
import { ChatRooms, chatChannels, chatPresenceInfo } from './chat.js';
import { Game, type GameHub } from './game.js';
import { type DemoServerOptions, type ResolvedDemoOptions, resolveDemoOptions } from './options.js';
import { PageSite } from './pages.js';
import { handleUpload, photoChannels, sendJson, servePhoto } from './photos.js';
import { RateLimiter } from './rate.js';
import { RawChat, RawChatGate } from './raw-chat.js';
import { type DemoState, demoSecurityPolicy, registerServices } from './services.js';
import { boardChannels, Whiteboard } from './whiteboard.js';

const debug = debuglog('pushwire:demo');

/**
 * Long polls one browser may hold at once. Above 1 (the server's default) so a person can open the demos in
 * a few tabs on long polling; below Chromium's 6 connections per host, so the tabs still have one left.
 */
const SESSIONS_PER_BROWSER = 4;

export interface DemoServer {
  /** http://host:port/ */
  readonly url: string;
  /** The Bayeux endpoint, http://host:port/bayeux */
  readonly bayeuxUrl: string;
  readonly app: App;
  readonly bayeux: BayeuxServer;
  readonly state: DemoState;
  readonly options: ResolvedDemoOptions;
  close(): Promise<void>;
}

function reportError(err: unknown): void {
  debug('error: %s', err instanceof Error ? (err.stack ?? err.message) : String(err));
}

/** Everything that is not Bayeux and not a WebSocket upgrade: pages, scripts, photos, the upload. */
function siteMount(
  site: PageSite,
  state: DemoState,
  o: ResolvedDemoOptions,
  bayeux: BayeuxServer,
): HttpMount {
  return {
    matches: (req) => req.headers.upgrade === undefined,
    handleUpgrade: (_req: IncomingMessage, _socket: Duplex, _head: Buffer) => false,
    async handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      const read = req.method === 'GET' || req.method === 'HEAD';
      if (path === PATHS.clientScript && read) {
        await serveClientScript(req, res, bundledClientScript);
      } else if (path === PATHS.upload) {
        if (req.method !== 'POST') res.writeHead(405, { Allow: 'POST' }).end();
        else {
          await handleUpload(req, res, state.photos, o, bayeux).catch((err: unknown) => {
            reportError(err);
            if (!res.headersSent) sendJson(res, 500, { error: 'the upload failed on the server' });
          });
        }
      } else if (path.startsWith(PATHS.photo) && read) {
        await servePhoto(req, res, state.photos.store, path.slice(PATHS.photo.length)).catch(
          (err: unknown) => {
            reportError(err);
            if (!res.headersSent)
              res.writeHead(503, { 'Retry-After': '1' }).end('the photo store is unavailable\n');
          },
        );
      } else if (!site.serve(req, res, path)) {
        res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end('not found: the demos are at /, /chat, /whiteboard, /photos and /game\n');
      }
      return true;
    },
  };
}

/** Builds (or loads) the pages, then listens. */
export async function startDemoServer(options: DemoServerOptions = {}): Promise<DemoServer> {
  const o = resolveDemoOptions(options);
  const site = await PageSite.load(await loadPageBundles(), o.mount);
  const bayeux = createBayeuxServer({
    mount: o.mount,
    timeout: o.bayeuxTimeout,
    maxInterval: o.bayeuxMaxInterval,
    engine: o.engine,
    maxSessionsPerBrowser: SESSIONS_PER_BROWSER,
    securityPolicy: demoSecurityPolicy,
    // What late joiners need lives in the engine (issue 9), so every node of a cluster answers the same:
    // chat rooms keep history and presence, the board and the photos keep history.
    channels: { ...chatChannels(o), ...boardChannels(o), ...photoChannels(o) },
    presenceInfo: chatPresenceInfo(o),
  });
  bayeux.on('error', ({ error }) => reportError(error));
  // The game's nodes talk through the hub (game.ts): an in-process session reads /game/roster and /game/state.
  const gameSession = bayeux.localSession();
  const gameHub: GameHub = {
    publish: (channel, data) => bayeux.publish(channel, data),
    subscribe: (channel, handler) => gameSession.subscribe(channel, (data) => handler(data)),
  };
  const state: DemoState = {
    chat: new ChatRooms(o, bayeux),
    board: new Whiteboard(o),
    photos: {
      store: o.cluster.photos(o),
      uploads: new RateLimiter(o.uploadRatePer10s, 10_000, 10_000),
    },
    game: new Game(o, gameHub, o.cluster.lease('game'), reportError),
  };
  registerServices(bayeux, state, reportError);
  const rawChat = new RawChat(state.chat, bayeux, o, reportError);
  const gate = new RawChatGate(rawChat, o, bayeux.options.allowedHosts);

  const clock = setInterval(() => {
    bayeux.publish(CHANNELS.clock, { t: Date.now() }).catch(reportError);
  }, o.clockMs);
  clock.unref();

  const app = new App({ port: o.port, address: o.host });
  app.mount(bayeux);
  app.mount(siteMount(site, state, o, bayeux));
  app.route(PATHS.rawChat, gate);
  try {
    await app.run();
  } catch (err) {
    clearInterval(clock);
    await state.game.close();
    await gameSession.close();
    await bayeux.close();
    throw err;
  }
  const host = o.host.includes(':') ? `[${o.host}]` : o.host;
  let closed: Promise<void> | undefined;
  return {
    url: `http://${host}:${app.port}/`,
    bayeuxUrl: `http://${host}:${app.port}${o.mount}`,
    app,
    bayeux,
    state,
    options: o,
    close() {
      closed ??= (async () => {
        clearInterval(clock);
        await state.game.close();
        await gameSession.close();
        await gate.ws.close();
        await rawChat.close();
        await app.close();
      })();
      return closed;
    },
  };
}
