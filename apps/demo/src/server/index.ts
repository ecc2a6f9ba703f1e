export { sniffImageType } from './magic.js';
export { DEMO_DEFAULTS, type DemoServerOptions } from './options.js';
export { type DemoServer, startDemoServer } from './server.js';
