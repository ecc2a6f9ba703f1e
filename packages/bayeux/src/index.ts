export * from './advice.js';
export * from './channel.js';
export * from './errors.js';
export * from './message.js';
export * from './positions.js';
export * from './validate.js';
export * from './version.js';
