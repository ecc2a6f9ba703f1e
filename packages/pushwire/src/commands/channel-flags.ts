// `pushwire serve --history PATTERN=SIZE --presence PATTERN` (repeatable, issue 9) -> the server's
// `channels` option. A pattern given to both gets both; the order of first mention is the match order.
import type { ChannelOptions } from '@pushwire/server';

/** Largest SIZE accepted (the server's own bound, CHANNEL_DEFAULTS.historyMaxSize). */
const MAX_SIZE = 1_000_000;

/** The channels option, or an error message naming the bad flag. */
export function channelFlags(
  history: readonly string[] = [],
  presence: readonly string[] = [],
): Record<string, ChannelOptions> | string {
  const channels: Record<string, ChannelOptions> = {};
  for (const flag of history) {
    const eq = flag.lastIndexOf('=');
    const pattern = flag.slice(0, eq);
    const size = Number(flag.slice(eq + 1));
    if (eq <= 0 || !Number.isInteger(size) || size < 1 || size > MAX_SIZE) {
      return `--history wants PATTERN=SIZE (SIZE 1..${MAX_SIZE}), got '${flag}'`;
    }
    channels[pattern] = { ...channels[pattern], history: { size } };
  }
  for (const pattern of presence) {
    if (pattern === '') return '--presence wants a channel pattern';
    channels[pattern] = { ...channels[pattern], presence: true };
  }
  return channels;
}
