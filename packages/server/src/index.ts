export * from './engine/engine.js';
