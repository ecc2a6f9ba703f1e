// The transport object for a transport name: one class per Bayeux connection type (short-polling is the
// long-polling transport; the connection loop asks for advice.timeout = 0 on every connect).

import { CONNECTION_TYPES } from '@pushwire/bayeux';
import { type TransportName, wireType } from '../negotiate.js';
import { CallbackPollingTransport } from './callback-polling.js';
import { LongPollingTransport } from './long-polling.js';
import type { Transport, TransportInit } from './transport.js';
import { WebSocketTransport } from './websocket.js';

export function createTransport(name: TransportName, init: TransportInit): Transport {
  switch (wireType(name)) {
    case CONNECTION_TYPES.websocket:
      return new WebSocketTransport(init);
    case CONNECTION_TYPES.callbackPolling:
      return new CallbackPollingTransport(init);
    case CONNECTION_TYPES.longPolling:
      return new LongPollingTransport(init);
  }
}
