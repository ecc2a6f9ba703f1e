// `npm start`: parses --port/--host (or PORT/HOST), starts the demo server, prints its URL, and stops
// cleanly on SIGINT/SIGTERM.

import { parseArgs } from 'node:util';
import { DEMO_DEFAULTS } from './options.js';
import { startDemoServer } from './server.js';

const usage = `Usage: npm start -- [--port N] [--host H] [--mount PATH]

  --port N       port to listen on (default ${DEMO_DEFAULTS.port}, or $PORT; 0 picks a free port)
  --host H       address to bind (default ${DEMO_DEFAULTS.host}, or $HOST)
  --mount PATH   path of the Bayeux endpoint (default ${DEMO_DEFAULTS.mount})

Prints the URL once listening; stops cleanly on SIGINT/SIGTERM.`;

export async function main(args: string[]): Promise<number> {
  let values: { port?: string; host?: string; mount?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        mount: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (err) {
    process.stderr.write(`pushwire demo: ${(err as Error).message}\n\n${usage}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  const portText = values.port ?? process.env.PORT;
  const port = portText === undefined ? DEMO_DEFAULTS.port : Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`pushwire demo: invalid port '${portText}'\n\n${usage}\n`);
    return 2;
  }
  const host = values.host ?? process.env.HOST ?? DEMO_DEFAULTS.host;
  let server: Awaited<ReturnType<typeof startDemoServer>>;
  try {
    server = await startDemoServer({ port, host, mount: values.mount });
  } catch (err) {
    process.stderr.write(`pushwire demo: ${(err as Error).message}\n`);
    return 1;
  }
  process.stdout.write(
    `pushwire demo listening on ${server.url}\n` +
      `  Bayeux at ${server.bayeuxUrl} (websocket, long-polling, callback-polling; /service/echo)\n` +
      `  chat ${server.url}chat   whiteboard ${server.url}whiteboard   photos ${server.url}photos   game ${server.url}game\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await server.close();
  return 0;
}
