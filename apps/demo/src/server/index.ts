export { type DemoCluster, type Lease, localCluster, redisCluster } from './cluster.js';
export { type DemoEngine, openDemoEngine } from './engine-option.js';
export { sniffImageType } from './magic.js';
export { DEMO_DEFAULTS, type DemoServerOptions } from './options.js';
export { type DemoServer, startDemoServer } from './server.js';
