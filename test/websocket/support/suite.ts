// The conformance runner: every case is written once against a raw endpoint (FrameConn) and runs in both
// roles against every implementation: our raw client against the implementation's echo SERVER, and our raw
// server against the implementation's echo CLIENT. Known deviations of an implementation are declared per
// case and run as `it.fails`, so they are documented, stay visible, and flag it when they get fixed.
import { afterAll, beforeAll, describe, it } from 'vitest';
import { cliTarget } from './cli-target.js';
import type { FrameConn } from './frame-conn.js';
import type { HttpHead } from './http-head.js';
import {
  type ClientOptions,
  type ClientUnderTest,
  type EchoServerOptions,
  type Implementation,
  type ImplName,
  implementations,
} from './implementations.js';
import { rawConnect } from './raw-client.js';
import { type HandshakeResponder, RawServer } from './raw-server.js';

/** The side the implementation under test plays. */
export type Under = 'server' | 'client';

export interface CaseContext {
  conn: FrameConn;
  under: Under;
  impl: ImplName;
  /** Server role: the 101 response. Client role: the client's upgrade request. */
  head: HttpHead;
  /** Client role only. */
  client?: ClientUnderTest;
}

export interface ConformanceCase {
  /** Autobahn-style id, e.g. "1.1.3". */
  id: string;
  title: string;
  /** Roles the case applies to; both by default. */
  under?: readonly Under[];
  server?: EchoServerOptions;
  client?: ClientOptions;
  /** Server role: extra request headers (e.g. the permessage-deflate offer). */
  requestHeaders?: Record<string, string>;
  /** Client role: how the raw server answers the client's handshake. */
  respond?: HandshakeResponder;
  /** false: not run against the `pushwire echo` CLI (it shares the library's code; big matrices run once). */
  cli?: boolean;
  /** Known deviations, keyed `<impl>-<role>`: the case is expected to FAIL there. */
  deviations?: Partial<Record<`${ImplName | 'pushwire-cli'}-${Under}`, string>>;
  timeout?: number;
  run(ctx: CaseContext): Promise<void>;
}

type ServerSubject = Pick<Implementation, 'startEchoServer'> & { name: ImplName | 'pushwire-cli' };

async function runAgainstServer(impl: ServerSubject, c: ConformanceCase): Promise<void> {
  const target = await impl.startEchoServer(c.server);
  try {
    const { conn, response } = await rawConnect(target.url, { headers: c.requestHeaders ?? {} });
    try {
      await c.run({
        conn,
        under: 'server',
        impl: impl.name === 'pushwire-cli' ? 'pushwire' : impl.name,
        head: response,
      });
    } finally {
      conn.destroy();
    }
  } finally {
    await target.close();
  }
}

async function runAgainstClient(impl: Implementation, raw: RawServer, c: ConformanceCase): Promise<void> {
  raw.responder = c.respond ?? (() => ({}));
  const client = impl.connectEchoClient(raw.url, c.client);
  try {
    const accepted = await Promise.race([
      raw.next(),
      client.closed.then((e) => {
        throw new Error(
          `client closed (${e.code}) before completing the handshake: ${client.errors.join('; ')}`,
        );
      }),
    ]);
    // Start once the client reports 'open' (or gave up): frames that arrive together with the 101 are a
    // separate case (10.3.1), so that one bug there does not mask every other result.
    await Promise.race([client.opened, client.closed]);
    try {
      await c.run({ conn: accepted.conn, under: 'client', impl: impl.name, head: accepted.request, client });
    } finally {
      accepted.conn.destroy();
    }
  } finally {
    client.terminate();
    // The client may have failed to load at all; that failure is already the case's result.
    await client.closed.catch(() => undefined);
  }
}

function caseName(c: ConformanceCase, deviation: string | undefined, impl: string): string {
  return `${c.id} ${c.title}${deviation ? ` [known ${impl} deviation: ${deviation}]` : ''}`;
}

export function conformance(group: string, cases: readonly ConformanceCase[]): void {
  describe.each(implementations)(`${group} ($name)`, (impl) => {
    const serverCases = cases.filter((c) => (c.under ?? ['server', 'client']).includes('server'));
    const clientCases = cases.filter((c) => (c.under ?? ['server', 'client']).includes('client'));

    describe.runIf(serverCases.length > 0)('server under test', () => {
      for (const c of serverCases) {
        const deviation = c.deviations?.[`${impl.name}-server`];
        (deviation ? it.fails : it)(
          caseName(c, deviation, impl.name),
          () => runAgainstServer(impl, c),
          c.timeout,
        );
      }
    });

    describe.runIf(clientCases.length > 0)('client under test', () => {
      let raw: RawServer;
      beforeAll(async () => {
        raw = await RawServer.start();
      });
      afterAll(async () => {
        await raw.close();
      });
      for (const c of clientCases) {
        const deviation = c.deviations?.[`${impl.name}-client`];
        (deviation ? it.fails : it)(
          caseName(c, deviation, impl.name),
          () => runAgainstClient(impl, raw, c),
          c.timeout,
        );
      }
    });
  });

  // `npx pushwire echo` (server role only; one process per flag set, shared by the cases of this file).
  // PW_CONFORMANCE_IMPL=pushwire-cli selects it alone; it also runs whenever pushwire does.
  const only = process.env.PW_CONFORMANCE_IMPL;
  const cliCases = cases.filter(
    (x) => x.cli !== false && (x.under ?? ['server', 'client']).includes('server'),
  );
  const cliSelected = !only || only === 'pushwire' || only === 'pushwire-cli';
  describe.runIf(cliSelected && cliCases.length > 0)(`${group} (pushwire echo CLI)`, () => {
    afterAll(() => cliTarget.dispose());
    for (const c of cliCases) {
      const deviation = c.deviations?.['pushwire-cli-server'];
      const name = caseName(c, deviation, 'pushwire-cli');
      if (!cliTarget.supports(c.server))
        it.skip(`${name} [needs server options the CLI has no flag for]`, () => {});
      else (deviation ? it.fails : it)(name, () => runAgainstServer(cliTarget, c), c.timeout);
    }
  });
}
