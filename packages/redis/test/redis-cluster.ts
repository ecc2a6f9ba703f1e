// A private 3-master Redis Cluster for the tests: three `redis-server --cluster-enabled yes` children on
// free ports in a temp dir (their nodes.conf files live there), joined with `redis-cli --cluster create`,
// ready once every node says `cluster_state:ok`. With `replicas` (start(3, 1): 3 masters + 3 replicas,
// `--cluster-replicas 1`) it is ready once every master has its replicas linked, so a kill -9 of a master
// fails over to its replica (cluster-node-timeout 2 s). Never the shared 127.0.0.1:6379. Every wait is bounded;
// stop() kills -9 and removes the temp dir. Like redis-server.ts: no binary -> skipped loudly, or a
// failure when CI is set.

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { ClusterNodeAddress } from '../src/index.js';
import { freePort } from './redis-server.js';

const REDIS_SERVER = '/usr/bin/redis-server';
const REDIS_CLI = '/usr/bin/redis-cli';
/** Ms one node may take to accept connections, and the cluster to reach cluster_state:ok. */
const START_TIMEOUT = 15_000;
const CLUSTER_OK_TIMEOUT = 30_000;
/** Ms a killed master's replica may take to be promoted (node timeout 2 s, then the election). */
export const FAILOVER_TIMEOUT = 30_000;

/** One line of CLUSTER NODES: `<id> <ip:port@cport> <flags> <master> <ping> <pong> <epoch> <link> <slots...>`. */
interface NodeLine {
  port: number;
  flags: string[];
  slots: Array<[number, number]>;
}

function parseNodes(text: string): NodeLine[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((line) => {
      const f = line.split(' ');
      const addr = f[1] ?? '';
      const port = Number(addr.slice(addr.lastIndexOf(':') + 1).split('@')[0]);
      const slots = f
        .slice(8)
        .filter((r) => !r.startsWith('['))
        .map((r): [number, number] => {
          const [lo, hi = lo] = r.split('-');
          return [Number(lo), Number(hi)];
        });
      return { port, flags: (f[2] ?? '').split(','), slots };
    });
}

/** True when a cluster can be started; in CI a missing binary throws, elsewhere it is reported loudly. */
export function redisClusterAvailable(): boolean {
  const ok = [REDIS_SERVER, REDIS_CLI].every(
    (bin) => spawnSync(bin, ['--version'], { stdio: 'ignore' }).status === 0,
  );
  if (ok) return true;
  if (process.env.CI)
    throw new Error('redis-server/redis-cli missing, and CI is set: the Cluster tests must run');
  process.stderr.write(
    '\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n' +
      `!! SKIPPING @pushwire/redis Cluster tests: no ${REDIS_SERVER} / ${REDIS_CLI}\n` +
      '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\n',
  );
  return false;
}

function startServer(dir: string, port: number): Promise<ChildProcess> {
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--cluster-enabled',
    'yes',
    '--cluster-config-file',
    join(dir, `nodes-${port}.conf`),
    '--cluster-node-timeout',
    '2000',
    // A replica may always be promoted, however long it was out of touch (tests kill masters at will).
    '--cluster-replica-validity-factor',
    '0',
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    'no',
    '--daemonize',
    'no',
  ];
  const child = spawn(REDIS_SERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`redis-server :${port} did not start: ${out}`));
    }, START_TIMEOUT);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server :${port} exited with ${code}: ${out}`));
    });
  });
}

function run(bin: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${bin} ${args.join(' ')} exited with ${code}: ${out}`));
    });
  });
}

export class RedisCluster {
  /** Every node started (a killed one stays listed: clients still try it). */
  readonly nodes: ClusterNodeAddress[] = [];
  readonly #dir: string;
  readonly #children = new Map<number, ChildProcess>();

  private constructor(dir: string) {
    this.#dir = dir;
  }

  /** Starts `size` masters with `replicas` replicas each, creates the cluster and waits until it is ready. */
  static async start(size = 3, replicas = 0): Promise<RedisCluster> {
    const dir = mkdtempSync(join(tmpdir(), 'pushwire-cluster-'));
    const cluster = new RedisCluster(dir);
    try {
      for (let i = 0; i < size * (1 + replicas); i++) {
        const port = await freePort();
        cluster.#children.set(port, await startServer(dir, port));
        cluster.nodes.push({ host: '127.0.0.1', port });
      }
      const addrs = cluster.nodes.map((n) => `${n.host}:${n.port}`);
      await run(
        REDIS_CLI,
        ['--cluster', 'create', ...addrs, '--cluster-replicas', String(replicas), '--cluster-yes'],
        30_000,
      );
      await cluster.#waitOk();
      if (replicas > 0) await cluster.#waitReplicas(size, replicas);
      return cluster;
    } catch (err) {
      await cluster.stop();
      throw err;
    }
  }

  async #waitOk(): Promise<void> {
    const deadline = Date.now() + CLUSTER_OK_TIMEOUT;
    for (const { port } of this.nodes) {
      const redis = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1, lazyConnect: true });
      try {
        await redis.connect();
        for (;;) {
          const info = await redis.call('CLUSTER', 'INFO');
          if (String(info).includes('cluster_state:ok')) break;
          if (Date.now() > deadline) throw new Error(`cluster not ok on :${port}: ${String(info)}`);
          await new Promise((r) => setTimeout(r, 100));
        }
      } finally {
        redis.disconnect();
      }
    }
  }

  /** CLUSTER NODES as a live node sees it. */
  async #nodeLines(): Promise<NodeLine[]> {
    return parseNodes(String(await this.#call('CLUSTER', 'NODES')));
  }

  /** One command on the first node still running. */
  async #call(...args: string[]): Promise<unknown> {
    const port = [...this.#children.keys()][0];
    if (port === undefined) throw new Error('no cluster node is running');
    const redis = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1 });
    try {
      return await redis.call(args[0] as string, ...args.slice(1));
    } finally {
      redis.disconnect();
    }
  }

  /** Bounded: every master has `replicas` replicas whose link to it is up (a failover can promote them). */
  async #waitReplicas(size: number, replicas: number): Promise<void> {
    const deadline = Date.now() + CLUSTER_OK_TIMEOUT;
    for (;;) {
      const lines = await this.#nodeLines();
      const masters = lines.filter((l) => l.flags.includes('master') && l.slots.length > 0);
      let linked = 0;
      for (const l of lines.filter((x) => x.flags.includes('slave'))) {
        const redis = new Redis({ host: '127.0.0.1', port: l.port, maxRetriesPerRequest: 1 });
        try {
          if (String(await redis.call('INFO', 'replication')).includes('master_link_status:up')) linked++;
        } finally {
          redis.disconnect();
        }
      }
      if (masters.length === size && linked === size * replicas) return;
      if (Date.now() > deadline) throw new Error(`replicas not linked: ${linked} of ${size * replicas}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** The port of the master serving `key`'s slot now. */
  async masterOf(key: string): Promise<number> {
    const slot = Number(await this.#call('CLUSTER', 'KEYSLOT', key));
    const line = (await this.#nodeLines()).find(
      (l) => l.flags.includes('master') && l.slots.some(([lo, hi]) => slot >= lo && slot <= hi),
    );
    if (line === undefined) throw new Error(`no master serves slot ${slot}`);
    return line.port;
  }

  /**
   * Bounded (FAILOVER_TIMEOUT): resolves once the slots of the killed master `port` are served by another
   * node (its replica, promoted) and every running node says cluster_state:ok. The new master's port.
   */
  async waitFailover(port: number, slotKey: string): Promise<number> {
    const deadline = Date.now() + FAILOVER_TIMEOUT;
    for (;;) {
      let now: number | undefined;
      try {
        now = await this.masterOf(slotKey);
      } catch {
        // No master for the slot yet (the dead one marked failed, no replica promoted): wait.
      }
      if (now !== undefined && now !== port && (await this.#allOk())) return now;
      if (Date.now() > deadline) throw new Error(`no failover of :${port} within ${FAILOVER_TIMEOUT} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async #allOk(): Promise<boolean> {
    for (const port of this.#children.keys()) {
      const redis = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1 });
      try {
        if (!String(await redis.call('CLUSTER', 'INFO')).includes('cluster_state:ok')) return false;
      } finally {
        redis.disconnect();
      }
    }
    return true;
  }

  /** `key`'s hash slot as the cluster computes it (CLUSTER KEYSLOT). */
  async slotOf(key: string): Promise<number> {
    const first = this.nodes[0] as ClusterNodeAddress;
    const redis = new Redis({ ...first, maxRetriesPerRequest: 1 });
    try {
      return Number(await redis.call('CLUSTER', 'KEYSLOT', key));
    } finally {
      redis.disconnect();
    }
  }

  /** kill -9 one node (a master dies: its slots fail until it comes back, or its replica is promoted). */
  async killNode(port: number): Promise<void> {
    const child = this.#children.get(port);
    this.#children.delete(port);
    if (child === undefined || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }

  /** kill -9 every node and remove the temp dir. */
  async stop(): Promise<void> {
    for (const port of [...this.#children.keys()]) await this.killNode(port);
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
