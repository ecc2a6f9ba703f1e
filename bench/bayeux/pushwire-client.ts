// Binds @pushwire/client for the client-cost bench. Kept apart so the adapter to our client's API is one
// small file to update as that API settles.
import { Client } from '@pushwire/client';

/** A subscribed client of either implementation (ours here, Faye's in client-child.ts): `close` disconnects it. */
export interface SubscribedClient {
  close(): void;
}

export async function subscribePushwireClient(
  url: string,
  channel: string,
  onMessage: () => void,
): Promise<SubscribedClient> {
  // Websocket only, like Faye's client once it has upgraded: the bench compares steady-state push cost.
  const client = new Client(url, { transports: ['websocket'] });
  await client.subscribe(channel, onMessage);
  return {
    close: () => {
      void client.disconnect().catch(() => {});
    },
  };
}
