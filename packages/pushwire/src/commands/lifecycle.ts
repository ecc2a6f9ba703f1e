// What every long-running CLI command shares: how it shows where it listens, and how it waits to be stopped.

import type { AddressInfo } from 'node:net';

/** `host:port` as it goes in a URL (IPv6 literals in brackets, RFC 3986 3.2.2), with the real port. */
export function urlAuthority(
  host: string,
  address: AddressInfo | string | null,
  fallbackPort: number,
): string {
  const port = typeof address === 'object' && address !== null ? address.port : fallbackPort;
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** Resolves on the first SIGINT or SIGTERM, then lets later signals take their default action. */
export function untilStopSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
