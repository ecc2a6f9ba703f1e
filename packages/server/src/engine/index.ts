export * from './engine.js';
export * from './memory-engine.js';
export { MessageQueue } from './message-queue.js';
