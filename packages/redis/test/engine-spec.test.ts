// The `--engine` spec of the CLI and the demo (engine-spec.ts): one server URL, or a Cluster's seed nodes.
import { describe, expect, it } from 'vitest';
import { MAX_CLUSTER_SEEDS, redisTarget } from '../src/index.js';

describe('redisTarget', () => {
  it('a redis:// or rediss:// URL is one server, as given', () => {
    expect(redisTarget('redis://127.0.0.1:6379/2')).toEqual({ url: 'redis://127.0.0.1:6379/2' });
    expect(redisTarget('rediss://h:1')).toEqual({ url: 'rediss://h:1' });
  });

  it('redis-cluster:// lists seed nodes: names, IPv4, bracketed IPv6', () => {
    expect(redisTarget('redis-cluster://a.example:7000,10.0.0.2:7001,[::1]:7002')).toEqual({
      cluster: [
        { host: 'a.example', port: 7000 },
        { host: '10.0.0.2', port: 7001 },
        { host: '::1', port: 7002 },
      ],
    });
  });

  it('anything else is not Redis (undefined)', () => {
    for (const spec of ['memory', 'mongodb://x', 'redis:/x', 'cluster://h:1'])
      expect(redisTarget(spec)).toBeUndefined();
  });

  it('a malformed node list is refused, naming the part', () => {
    for (const bad of [
      '',
      'h',
      'h:',
      ':1',
      'h:0',
      'h:65536',
      'h:1,',
      'h:1/0',
      'u@h:1',
      '::1:7000',
      'h:1?x=1',
    ])
      expect(() => redisTarget(`redis-cluster://${bad}`)).toThrow(/redis-cluster:\/\/: expected HOST:PORT/);
  });

  it('at most MAX_CLUSTER_SEEDS nodes', () => {
    const list = (n: number) => Array.from({ length: n }, (_, i) => `h${i}:${7000 + i}`).join(',');
    expect(redisTarget(`redis-cluster://${list(MAX_CLUSTER_SEEDS)}`)).toMatchObject({
      cluster: expect.arrayContaining([{ host: 'h0', port: 7000 }]),
    });
    expect(() => redisTarget(`redis-cluster://${list(MAX_CLUSTER_SEEDS + 1)}`)).toThrow(/at most 64 nodes/);
  });
});
