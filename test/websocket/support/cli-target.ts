// `npx pushwire echo` as a conformance target (issue 2, "Done when": the CLI serves a conformant echo).
// One CLI process per distinct flag set, started on first use and reused by every case in the worker;
// dispose() ends exactly the processes started here, by their handle.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { EchoServerOptions, EchoTarget } from './implementations.js';

const BIN = fileURLToPath(new URL('../../../packages/pushwire/bin/pushwire.js', import.meta.url));
const DEFAULT_MAX_PAYLOAD = 64 * 1024 * 1024;

interface Running {
  child: ChildProcess;
  url: Promise<string>;
  /** Everything the process wrote to stderr, for the error when it dies under a case. */
  stderr: () => string;
}

const running = new Map<string, Running>();

function start(maxPayload: number, maxFragments: number | undefined): Running {
  // From source, like the rest of the suite, even when a build exists: the bin's tsx path
  // (PUSHWIRE_FROM_SOURCE) plus Node's own resolver condition for the workspace packages.
  const args = ['--conditions=pushwire-source', BIN, 'echo', '--port', '0', '--host', '127.0.0.1'];
  const flags = ['--max-payload', String(maxPayload)];
  if (maxFragments !== undefined) flags.push('--max-fragments', String(maxFragments));
  const child = spawn(process.execPath, [...args, ...flags], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PUSHWIRE_FROM_SOURCE: '1' },
  });
  let err = '';
  const url = new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(
      () => reject(new Error(`pushwire echo printed no URL within 20 s: ${out} ${err}`)),
      20_000,
    );
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /ws:\/\/[^\s]+/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[0]);
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      reject(new Error(`pushwire echo exited (${code}) before listening: ${err}`));
    });
  });
  return { child, url, stderr: () => err };
}

export const cliTarget = {
  name: 'pushwire-cli' as const,
  /** The CLI has --max-payload and --max-fragments and always accepts permessage-deflate; no subprotocols.
   * Cases needing anything else are skipped for it, visibly. */
  supports(options: EchoServerOptions | undefined): boolean {
    return !options?.chat && options?.perMessageDeflate !== false;
  },
  async startEchoServer(options: EchoServerOptions = {}): Promise<EchoTarget> {
    const maxPayload = options.maxPayload ?? DEFAULT_MAX_PAYLOAD;
    const key = `${maxPayload}/${options.maxFragments ?? ''}`;
    let r = running.get(key);
    if (r && (r.child.exitCode !== null || r.child.signalCode !== null)) {
      // A previous case killed the server: that is a failure of that case's kind, reported on every later
      // case with what the process printed.
      throw new Error(
        `pushwire echo (--max-payload ${maxPayload}, --max-fragments ${options.maxFragments ?? 'default'}) died (${r.child.exitCode ?? r.child.signalCode}): ${r.stderr()}`,
      );
    }
    if (!r) {
      r = start(maxPayload, options.maxFragments);
      running.set(key, r);
    }
    // Shared by all cases; each case closes its own connection.
    return { url: await r.url, close: async () => {} };
  },
  async dispose(): Promise<void> {
    const exits = [...running.values()].map(
      ({ child }) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        }),
    );
    running.clear();
    await Promise.all(exits);
  },
};
