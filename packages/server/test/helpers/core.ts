// A Core over a given engine, for unit tests of the handlers and the hold (no HTTP server).
import { Admission } from '../../src/admission.js';
import { AuthorizerRegistry } from '../../src/authorizers.js';
import { ChannelFeatures } from '../../src/channel-features.js';
import type { Core } from '../../src/core.js';
import type { Engine } from '../../src/engine/engine.js';
import { BayeuxEmitter } from '../../src/events.js';
import { ExtensionPipeline } from '../../src/extensions.js';
import { HeldConnects } from '../../src/held-connects.js';
import { type BayeuxServerOptions, resolveOptions } from '../../src/options.js';
import { ServiceRegistry } from '../../src/services.js';
import { SocketPush } from '../../src/socket-push.js';
import { StatsCounter } from '../../src/stats.js';

export function coreWith(engine: Engine, options: BayeuxServerOptions = { timeout: 30_000 }): Core {
  const resolved = resolveOptions(options);
  const stats = new StatsCounter();
  return {
    options: resolved,
    engine,
    extensions: new ExtensionPipeline(),
    services: new ServiceRegistry(),
    authorizers: new AuthorizerRegistry(),
    features: new ChannelFeatures(resolved.channels, resolved.maxQueue),
    events: new BayeuxEmitter(() => {}),
    held: new HeldConnects(),
    sockets: new SocketPush(resolved.maxSocketBuffer),
    admission: new Admission(resolved, stats),
    stats,
    closing: false,
    ownsEngine: false,
    reportError: (err) => {
      throw err;
    },
  };
}
