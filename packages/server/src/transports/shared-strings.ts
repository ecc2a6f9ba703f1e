// Every message arrives with its strings fresh out of JSON.parse, and a held /meta/connect keeps its
// message for as long as it is held: over a WebSocket all the time, over long-polling most of the time. So
// its `channel` and `connectionType`, the same text for every client, are replaced by one constant each
// (and, over a WebSocket, its client id by the id the socket was bound with): a held connect then keeps no
// copy of its own of any of them (issue 13: heap per idle client). The texts are unchanged.

import { CONNECTION_TYPE_NAMES, META, type Message } from '@pushwire/bayeux';

/** The connection types (Bayeux §3.4, plus websocket), each text mapped to its one constant string. */
const SHARED_TYPES: ReadonlyMap<string, string> = new Map(CONNECTION_TYPE_NAMES.map((t) => [t, t]));

/**
 * Points the connects of `messages` at the shared constants, and, when `clientId` is given, every message
 * whose clientId has that text at that string (the socket's bound id).
 */
export function shareStrings(messages: readonly Message[], clientId?: string): void {
  for (const m of messages) {
    if (m.channel === META.connect) {
      m.channel = META.connect;
      const type = m.connectionType;
      if (typeof type === 'string') {
        const shared = SHARED_TYPES.get(type);
        if (shared !== undefined) m.connectionType = shared;
      }
    }
    if (clientId !== undefined && m.clientId === clientId) m.clientId = clientId;
  }
}
