// Shared by the permessage-deflate unit tests: codecs created through here are cleaned up (and real timers
// restored) after each test of the file that calls useDeflateCleanup(); promise forms of compress/decompress.

import { afterEach, vi } from 'vitest';
import { PerMessageDeflate } from '../../src/deflate/codec.js';
import type { PerMessageDeflateOptions } from '../../src/deflate/params.js';

const created: PerMessageDeflate[] = [];

/** Registers a codec for cleanup after the current test. */
export function track(...codecs: PerMessageDeflate[]): void {
  created.push(...codecs);
}

/** Cleans up every tracked codec and restores real timers after each test of the calling file. */
export function useDeflateCleanup(): void {
  afterEach(() => {
    for (const pmd of created.splice(0)) pmd.cleanup();
    vi.useRealTimers();
  });
}

/** A negotiated server/client pair, `offer` being what the client's options make it offer. */
export function pair(
  serverOptions: PerMessageDeflateOptions = {},
  clientOptions: PerMessageDeflateOptions = {},
  maxPayload = 1 << 20,
): { server: PerMessageDeflate; client: PerMessageDeflate } {
  const server = new PerMessageDeflate(serverOptions, true, maxPayload);
  const client = new PerMessageDeflate(clientOptions, false, maxPayload);
  client.acceptResponse([server.accept([client.offer()])]);
  track(server, client);
  return { server, client };
}

/** compress() or decompress() as a promise. */
export function run(
  pmd: PerMessageDeflate,
  op: 'compress' | 'decompress',
  data: Buffer,
  fin: boolean,
): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    pmd[op](data, fin, (err, result) => (err ? reject(err) : resolve(result!))),
  );
}

export function compress(pmd: PerMessageDeflate, data: Buffer | string, fin = true): Promise<Buffer> {
  return run(pmd, 'compress', Buffer.from(data), fin);
}

export function decompress(pmd: PerMessageDeflate, data: Buffer, fin = true): Promise<Buffer> {
  return run(pmd, 'decompress', data, fin);
}
