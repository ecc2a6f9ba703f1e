export * from './advice.js';
export * from './channel.js';
export * from './errors.js';
export * from './message.js';
