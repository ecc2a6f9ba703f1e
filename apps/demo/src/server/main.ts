// `npm start`: parses --port/--host (or PORT/HOST), starts the demo server, prints its URL, and stops
// cleanly on SIGINT/SIGTERM.

import { parseArgs } from 'node:util';
import { EngineUsageError, openDemoEngine } from './engine-option.js';
import { DEMO_DEFAULTS } from './options.js';
import { startDemoServer } from './server.js';

const usage = `Usage: npm start -- [--port N] [--host H] [--mount PATH] [--engine memory|redis://H:P|redis-cluster://H:P,H:P]
       [--redis-prefix P]

  --port N          port to listen on (default ${DEMO_DEFAULTS.port}, or $PORT; 0 picks a free port)
  --host H          address to bind (default ${DEMO_DEFAULTS.host}, or $HOST)
  --mount PATH      path of the Bayeux endpoint (default ${DEMO_DEFAULTS.mount})
  --engine E        memory (default, one process), redis://host:port, or redis-cluster://h:p,h:p (some
                    nodes of a Redis Cluster): several demo processes share sessions, chat history
                    and presence, the drawing, the photos and the game
  --redis-prefix P  key prefix in Redis (default pushwire); processes with the same prefix form one cluster

Prints the URL once listening; stops cleanly on SIGINT/SIGTERM.`;

export async function main(args: string[]): Promise<number> {
  let values: {
    port?: string;
    host?: string;
    mount?: string;
    engine?: string;
    'redis-prefix'?: string;
    help?: boolean;
  };
  try {
    ({ values } = parseArgs({
      args,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        mount: { type: 'string' },
        engine: { type: 'string' },
        'redis-prefix': { type: 'string' },
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
  let engine: Awaited<ReturnType<typeof openDemoEngine>>;
  try {
    engine = await openDemoEngine(values.engine, values['redis-prefix'], DEMO_DEFAULTS.bayeuxMaxInterval);
  } catch (err) {
    const usageError = err instanceof EngineUsageError;
    process.stderr.write(`pushwire demo: ${(err as Error).message}\n${usageError ? `\n${usage}\n` : ''}`);
    return usageError ? 2 : 1;
  }
  let server: Awaited<ReturnType<typeof startDemoServer>>;
  try {
    server = await startDemoServer({
      port,
      host,
      mount: values.mount,
      engine: engine.engine,
      cluster: engine.cluster,
    });
  } catch (err) {
    await engine.close();
    process.stderr.write(`pushwire demo: ${(err as Error).message}\n`);
    return 1;
  }
  process.stdout.write(
    `pushwire demo listening on ${server.url}\n` +
      `  Bayeux at ${server.bayeuxUrl} (websocket, long-polling, callback-polling; /service/echo)\n` +
      `  engine ${engine.engine === undefined ? 'memory' : (values.engine ?? '')}\n` +
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
  await engine.close();
  return 0;
}
