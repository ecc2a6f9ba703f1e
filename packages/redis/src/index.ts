export { type ClusterNodeAddress, ClusterPort, type ClusterPortOptions } from './cluster-port.js';
export { connectionChannel, destroyChannel, dropChannel, errorChannel } from './diagnostics.js';
export { CLUSTER_SCHEME, MAX_CLUSTER_SEEDS, type RedisTarget, redisTarget } from './engine-spec.js';
export { DEFAULT_REDIS_URL, IoredisPort, type IoredisPortOptions } from './ioredis-port.js';
export { Keys } from './keys.js';
export { keySlot } from './keyslot.js';
export { DEFAULT_PREFIX, type RedisEngineOptions, type ResolvedRedisOptions } from './options.js';
export type { LuaScript, PortEvent, RedisArg, RedisCommand, RedisPort, RedisReply } from './port.js';
export { createRedisEngine, RedisEngine } from './redis-engine.js';
