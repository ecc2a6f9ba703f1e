// The memory engine's diagnostics channels (node:diagnostics_channel, DESIGN.md "Observability").

import diagnosticsChannel from 'node:diagnostics_channel';

/**
 * `pushwire:engine:destroy` gets `{ clientId, reason, dropped, bytes }` whenever a client goes away: the
 * messages still queued for it (discarded with it).
 */
export const engineDestroyChannel = diagnosticsChannel.channel('pushwire:engine:destroy');
/**
 * `pushwire:engine:history-evict` gets `{ channel, epoch }` when `maxHistoryBytes` takes a channel's whole
 * history (its next recovery says `recovered: false`).
 */
export const engineHistoryEvictChannel = diagnosticsChannel.channel('pushwire:engine:history-evict');
/**
 * `pushwire:engine:drop` gets `{ clientId, dropped, bytes, limit }` when drop-oldest discards queued
 * messages (`limit`: 'maxQueue' or 'maxQueueBytes', the bound that was crossed).
 */
export const engineDropChannel = diagnosticsChannel.channel('pushwire:engine:drop');
