// Binds @pushwire/server to a Node http server for the bench. Kept apart from server-child.ts so the
// adapter to our server's API is one small file to update as that API settles.
import type { Server } from 'node:http';

export async function startPushwireBayeux(_server: Server, _path: string): Promise<() => Promise<void>> {
  throw new Error('@pushwire/server is not available yet');
}
