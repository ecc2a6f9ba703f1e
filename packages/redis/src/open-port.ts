// The port an engine opens for itself when it is not given one: a ClusterPort for `cluster`, else an
// IoredisPort for `url`.

import { ClusterPort } from './cluster-port.js';
import { IoredisPort } from './ioredis-port.js';
import type { RedisEngineOptions } from './options.js';
import type { RedisPort } from './port.js';

export function openPort(opts: RedisEngineOptions): RedisPort {
  const maxRetries = opts.maxRetriesPerRequest;
  const retries = maxRetries === undefined ? {} : { maxRetriesPerRequest: maxRetries };
  if (opts.cluster !== undefined) {
    if (opts.url !== undefined) throw new RangeError('pushwire redis: give either url or cluster, not both');
    return new ClusterPort({ nodes: opts.cluster, ...retries });
  }
  return new IoredisPort({ ...(opts.url === undefined ? {} : { url: opts.url }), ...retries });
}
