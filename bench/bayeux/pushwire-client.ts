// Binds @pushwire/client for the client-cost bench. Kept apart so the adapter to our client's API is one
// small file to update as that API settles.
import type { SubscribedClient } from './client-child.js';

export async function subscribePushwireClient(
  _url: string,
  _channel: string,
  _onMessage: () => void,
): Promise<SubscribedClient> {
  throw new Error('@pushwire/client is not available yet');
}
