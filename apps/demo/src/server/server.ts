// The demo server: one process, one port. Pages and their scripts, the browser client at /pushwire.js,
// Bayeux at /bayeux (websocket, long-polling, callback-polling; short polling is long-polling with
// advice.timeout 0), the raw WebSocket chat at /ws/chat, the photo upload, and the services the pages call.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { debuglog } from 'node:util';
import {
  type BayeuxServer,
  bundledClientScript,
  createBayeuxServer,
  serveClientScript,
} from '@pushwire/server';
import { CHANNELS, PATHS } from '../shared/protocol.js';
import { loadPageBundles } from './assets.js';
import { ChatRooms } from './chat.js';
import { Game } from './game.js';
import { type DemoServerOptions, type ResolvedDemoOptions, resolveDemoOptions } from './options.js';
import { PageSite } from './pages.js';
import { handleUpload, PhotoStore, sendJson, servePhoto } from './photos.js';
import { RawChatBridge } from './raw-chat.js';
import { type DemoState, demoSecurityPolicy, registerServices } from './services.js';
import { Whiteboard } from './whiteboard.js';

const debug = debuglog('pushwire:demo');

/**
 * Long polls one browser may hold at once. Above 1 (the server's default) so a person can open the demos in
 * a few tabs on long polling; below Chromium's 6 connections per host, so the tabs still have one left.
 */
const SESSIONS_PER_BROWSER = 4;

export interface DemoServer {
  /** http://host:port/ */
  readonly url: string;
  readonly http: Server;
  readonly bayeux: BayeuxServer;
  readonly state: DemoState;
  readonly options: ResolvedDemoOptions;
  close(): Promise<void>;
}

function reportError(err: unknown): void {
  debug('error: %s', err instanceof Error ? (err.stack ?? err.message) : String(err));
}

/** Builds (or loads) the pages, then listens. */
export async function startDemoServer(options: DemoServerOptions = {}): Promise<DemoServer> {
  const o = resolveDemoOptions(options);
  const site = await PageSite.load(await loadPageBundles());
  const bayeux = createBayeuxServer({
    mount: PATHS.bayeux,
    timeout: o.bayeuxTimeout,
    maxInterval: o.bayeuxMaxInterval,
    engine: o.engine,
    maxSessionsPerBrowser: SESSIONS_PER_BROWSER,
    securityPolicy: demoSecurityPolicy,
  });
  bayeux.on('error', ({ error }) => reportError(error));
  const state: DemoState = {
    chat: new ChatRooms(o, bayeux, reportError),
    board: new Whiteboard(o),
    photos: new PhotoStore(o),
    game: new Game(o, bayeux, reportError),
  };
  registerServices(bayeux, state, reportError);
  const raw = new RawChatBridge(state.chat, bayeux, o, reportError);
  bayeux.on('publish', ({ channel, data }) => raw.deliver(channel, data));

  const clock = setInterval(() => {
    bayeux.publish(CHANNELS.clock, { t: Date.now() }).catch(reportError);
  }, o.clockMs);
  clock.unref();

  const http = createServer((req, res) => route(req, res));
  const route = (req: IncomingMessage, res: ServerResponse): void => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === PATHS.clientScript && (req.method === 'GET' || req.method === 'HEAD')) {
      void serveClientScript(req, res, bundledClientScript);
      return;
    }
    if (path === PATHS.upload) {
      if (req.method !== 'POST') {
        res.writeHead(405, { Allow: 'POST' });
        res.end();
        return;
      }
      handleUpload(req, res, state.photos, o, bayeux).catch((err: unknown) => {
        reportError(err);
        if (!res.headersSent) sendJson(res, 500, { error: 'the upload failed on the server' });
      });
      return;
    }
    if (path.startsWith(PATHS.photo) && (req.method === 'GET' || req.method === 'HEAD')) {
      servePhoto(req, res, state.photos, path.slice(PATHS.photo.length));
      return;
    }
    if (site.serve(req, res, path)) return;
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end('not found: the demos are at /, /chat, /whiteboard, /photos and /game\n');
  };
  // Upgrades the Bayeux mount does not take (it is attached below and sees them first) come here.
  http.on('upgrade', (req, socket, head) => {
    if (!raw.handleUpgrade(req, socket, head)) socket.destroy();
  });
  bayeux.attach(http);

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(o.port, o.host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const { port } = http.address() as AddressInfo;
  const host = o.host.includes(':') ? `[${o.host}]` : o.host;
  let closed: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}/`,
    http,
    bayeux,
    state,
    options: o,
    close() {
      closed ??= (async () => {
        clearInterval(clock);
        state.game.close();
        await bayeux.close();
        await raw.close();
        await new Promise<void>((resolve) => {
          http.close(() => resolve());
          http.closeAllConnections();
        });
      })();
      return closed;
    },
  };
}
