// Observability through node:diagnostics_channel (DESIGN.md): no logging dependency; publishing costs a
// property read when nobody subscribes.
import diagnostics from 'node:diagnostics_channel';

/** `{ ws, req }`: the server opened a connection. */
export const connectionChannel = diagnostics.channel('pushwire:websocket:connection');
/** `{ ws, code, reason }`: a connection closed (code 1006 when no close frame was received). */
export const closeChannel = diagnostics.channel('pushwire:websocket:close');
/** `{ ws, error }`: a connection failed (protocol error, timeout), whether or not 'error' has listeners. */
export const errorChannel = diagnostics.channel('pushwire:websocket:error');
/** `{ req, status, message }`: the server refused an opening handshake with an HTTP error. */
export const refusedChannel = diagnostics.channel('pushwire:websocket:handshake-refused');
