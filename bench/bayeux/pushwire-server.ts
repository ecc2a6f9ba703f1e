// Binds @pushwire/server to a Node http server for the bench. Kept apart from server-child.ts so the
// adapter to our server's API is one small file to update as that API settles.
import type { Server } from 'node:http';
import { createBayeuxServer } from '@pushwire/server';

export async function startPushwireBayeux(server: Server, path: string): Promise<() => Promise<void>> {
  // Same long-poll hold as the Faye child (25 s), everything else at its defaults.
  const bayeux = createBayeuxServer({ mount: path, timeout: 25_000 });
  bayeux.attach(server);
  return () => bayeux.close();
}
