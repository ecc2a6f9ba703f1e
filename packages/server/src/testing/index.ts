// `@pushwire/server/testing`: what another engine's package (e.g. @pushwire/redis) imports to prove it keeps
// the Engine contract. It imports vitest, so it is a separate entry: the main entry never pulls it in, and
// vitest is an optional peer dependency (only the packages that run the suite need it).

export {
  type ConformanceContext,
  type EngineFactory,
  engineConformance,
  type LeftEvent,
  RecordingSink,
} from './engine-conformance.js';
export { historyConformance, LIMITS } from './history-conformance.js';
export { presenceConformance } from './presence-conformance.js';
