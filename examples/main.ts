// Shared by the examples: run `start()` when the file is the program (not when a test imports it), print
// where it listens, stop cleanly on Ctrl-C.

import { pathToFileURL } from 'node:url';

export function isMain(url: string): boolean {
  const entry = process.argv[1];
  return entry !== undefined && url === pathToFileURL(entry).href;
}

export function portFromEnv(fallback = 8000): number {
  const port = Number(process.env.PORT ?? fallback);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new TypeError(`bad PORT ${process.env.PORT}`);
  return port;
}

export function stopOnSignal(close: () => Promise<void>): void {
  const stop = (): void => {
    close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
