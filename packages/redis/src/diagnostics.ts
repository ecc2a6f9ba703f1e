// Diagnostics channels of the Redis engine (node:diagnostics_channel; no logging dependency). The destroy
// and drop channels are the ones the memory engine publishes on: their names are defined once, in
// @pushwire/server (engine/memory-diagnostics.ts).
import diagnosticsChannel from 'node:diagnostics_channel';

export {
  /** `{ clientId, reason }` whenever this node destroys a client (disconnect, expiry, slow). */
  engineDestroyChannel as destroyChannel,
  /** `{ clientId, dropped, reason? }` when drop-oldest discards queued messages, or a shared body expired. */
  engineDropChannel as dropChannel,
} from '@pushwire/server';
/** `{ operation, error }`: a failed Redis call (the EngineError that the call rejected with, or a sweep's). */
export const errorChannel = diagnosticsChannel.channel('pushwire:engine:error');
/** `{ state, delay?, error? }`: the Redis connection became ready, is reconnecting, or reported an error. */
export const connectionChannel = diagnosticsChannel.channel('pushwire:engine:connection');
