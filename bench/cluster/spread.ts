// How the cluster bench's generator spreads its chat clients over the nodes: round-robin by client index,
// no stickiness. Rooms are consecutive runs of `roomSize` clients (load-child.ts), so with more than one
// node every room has members on several nodes and every publish fans out across nodes through Redis.

/** The node (0-based) client `index` connects to: round-robin over `nodes`. */
export function nodeFor(index: number, nodes: number): number {
  if (!Number.isInteger(nodes) || nodes < 1)
    throw new RangeError(`nodes must be a positive integer, got ${nodes}`);
  if (!Number.isInteger(index) || index < 0) throw new RangeError(`index must be >= 0, got ${index}`);
  return index % nodes;
}

/** How many of `clients` clients land on each node. */
export function spreadCounts(clients: number, nodes: number): number[] {
  const counts = new Array<number>(nodes).fill(0);
  for (let i = 0; i < clients; i++) counts[nodeFor(i, nodes)] = (counts[nodeFor(i, nodes)] ?? 0) + 1;
  return counts;
}

/**
 * How many rooms (of `roomSize` consecutive clients) have members on more than one node: with round-robin
 * and rooms of at least 2, every room once there are 2+ nodes (the cross-node fan-out the bench is for).
 */
export function roomsSpanningNodes(clients: number, roomSize: number, nodes: number): number {
  let spanning = 0;
  for (let first = 0; first < clients; first += roomSize) {
    const seen = new Set<number>();
    for (let i = first; i < Math.min(clients, first + roomSize); i++) seen.add(nodeFor(i, nodes));
    if (seen.size > 1) spanning++;
  }
  return spanning;
}
