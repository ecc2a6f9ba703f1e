// The `--engine` value of `pushwire serve` and the demo, when it names Redis (one vocabulary, both read it):
//   redis://HOST:PORT[/DB], rediss://...       one Redis server (IoredisPort)
//   redis-cluster://HOST:PORT[,HOST:PORT...]   a Redis Cluster: some of its nodes, the rest discovered
//                                              (CLUSTER SLOTS), one ClusterPort
// A Cluster has no database number (Redis Cluster spec: only database 0) and the list names seed nodes,
// so the value has no path, user or query. IPv6 hosts are bracketed, as in a URL: [::1]:7000.

import type { ClusterNodeAddress } from './cluster-port.js';

export const CLUSTER_SCHEME = 'redis-cluster://';
/** Seed nodes one spec may list (fixed): a Cluster needs one reachable node; 64 covers any real list. */
export const MAX_CLUSTER_SEEDS = 64;

export type RedisTarget = { url: string } | { cluster: ClusterNodeAddress[] };

/** The Redis a spec names, or undefined when it names none (not a redis URL). Throws RangeError when malformed. */
export function redisTarget(spec: string): RedisTarget | undefined {
  if (/^rediss?:\/\//.test(spec)) return { url: spec };
  if (!spec.startsWith(CLUSTER_SCHEME)) return undefined;
  return { cluster: clusterNodes(spec.slice(CLUSTER_SCHEME.length)) };
}

function clusterNodes(list: string): ClusterNodeAddress[] {
  const parts = list.split(',');
  if (parts.length > MAX_CLUSTER_SEEDS)
    throw new RangeError(`${CLUSTER_SCHEME}: at most ${MAX_CLUSTER_SEEDS} nodes, got ${parts.length}`);
  return parts.map((part) => {
    const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(part);
    const port = Number(m?.[3]);
    const host = m?.[1] ?? m?.[2];
    if (host === undefined || !(port >= 1 && port <= 65535))
      throw new RangeError(
        `${CLUSTER_SCHEME}: expected HOST:PORT[,HOST:PORT...] (IPv6 as [ADDR]:PORT), got ${JSON.stringify(part)}`,
      );
    return { host, port };
  });
}
