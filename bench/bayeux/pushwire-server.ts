// Binds @pushwire/server to a Node http server for the bench. Kept apart from server-child.ts so the
// adapter to our server's API is one small file to update as that API settles.
import type { Server } from 'node:http';
import { createBayeuxServer } from '@pushwire/server';

/**
 * @param history Keep a history on the chat rooms (issue 9: positions on every message, 100 per room) to
 *   measure what it costs on the same workload.
 */
export async function startPushwireBayeux(
  server: Server,
  path: string,
  history = false,
): Promise<() => Promise<void>> {
  // Same long-poll hold as the Faye child (25 s), everything else at its defaults.
  const bayeux = createBayeuxServer({
    mount: path,
    timeout: 25_000,
    ...(history ? { channels: { '/chat/**': { history: { size: 100 } } } } : {}),
  });
  bayeux.attach(server);
  return () => bayeux.close();
}
