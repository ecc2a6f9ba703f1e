// Spawned by redis-server.test.ts: starts the bench's redis-server, prints its pid, then waits to be
// killed (the test checks that a signal to this process takes redis-server with it).
import { startRedis } from '../../bench/cluster/redis-server.js';

const redis = await startRedis();
process.stdout.write(`redis-pid ${redis.pid}\n`);
setTimeout(() => process.exit(3), 30_000); // bounded: never outlives the test
