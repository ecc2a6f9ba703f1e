// The key layout, defined once (README "Key layout"). Everything about ONE client shares the hash tag
// `{<clientId>}`, so each multi-step change to a client is one Lua script on one Redis Cluster slot.
// A channel's history and presence keys share the hash tag `{<channel>}`. Keys shared by all clients (the
// liveness ZSET, the sweep lock, pattern indexes, message bodies) are touched by single-key commands or
// single-key scripts, never together with a client's keys: no script spans two slots (Redis Cluster).

/**
 * Bytes from which a body with several recipients is stored once and queued by reference. A smaller one
 * is queued inline in every queue (issue 13): a reference (`@<bytes> <prefix>:m:{<id>}`) is itself about
 * 50 bytes, and sharing costs a SET per publish plus a GET and a second round trip per take. Queues are
 * bounded by message bytes either way (maxQueueBytes counts the body's size, shared or not).
 */
export const SHARE_MIN_BYTES = 256;

export class Keys {
  readonly prefix: string;

  constructor(prefix: string) {
    // A brace in the prefix would become the hash tag of every key and put all clients on one slot.
    if (prefix.length === 0 || /[{}\s]/.test(prefix)) {
      throw new RangeError('pushwire redis: prefix must be non-empty, without braces or whitespace');
    }
    this.prefix = prefix;
  }

  /**
   * Field of the client HASH holding its mark on a history channel on a Redis Cluster (history-cluster.ts):
   * `<epoch> <offset>`, the highest offset of the channel taken for delivery.
   */
  mark(channel: string): string {
    return `w:${channel}`;
  }

  /**
   * HASH: `node` (the node that last heard from the client: wakes go there), `seen` (ms of its last
   * activity) and `x:<name>` state fields.
   */
  client(id: string): string {
    return `${this.prefix}:c:{${id}}`;
  }

  /** Every key of one client, in the order the scripts that touch them all take (PING, DESTROY, ...). */
  ofClient(id: string): [string, string, string, string] {
    return [this.client(id), this.subs(id), this.queue(id), this.clientPresence(id)];
  }

  /** SET of the client's subscription patterns. */
  subs(id: string): string {
    return `${this.prefix}:s:{${id}}`;
  }

  /** LIST: the client's queue, oldest first; entries are `=<json>` (inline) or `@<body key>` (shared). */
  queue(id: string): string {
    return `${this.prefix}:q:{${id}}`;
  }

  /** Field of the client HASH holding session state `name` (Engine.getClientState): deleted with it. */
  stateField(name: string): string {
    return `x:${name}`;
  }

  /** ZSET clientId -> deadline (ms) of its held HTTP connect, per browser (maxSessionsPerBrowser). */
  browser(browserId: string): string {
    return `${this.prefix}:b:${browserId}`;
  }

  /** SET of the channels whose presence set holds the client (removed from them when it is destroyed). */
  clientPresence(id: string): string {
    return `${this.prefix}:pc:{${id}}`;
  }

  /**
   * HASH of a channel with history: `epoch` (random, renewed when the key is lost), `last` (the latest
   * offset), `bytes` (UTF-8 bytes of the texts retained). A channel's keys share the hash tag
   * `{<channel>}` (one Cluster slot per channel). A lenient channel name may hold braces: the tag then
   * ends at the first `}` of the name, the same for every key of the channel, so they still share a slot.
   */
  history(channel: string): string {
    return `${this.prefix}:h:{${channel}}`;
  }

  /** LIST of a channel's retained messages, oldest first, each `<ms published> <json>`. */
  historyList(channel: string): string {
    return `${this.prefix}:hl:{${channel}}`;
  }

  /** ZSET of a channel's present clients, scored by join order (one above the highest present). */
  presence(channel: string): string {
    return `${this.prefix}:p:{${channel}}`;
  }

  /**
   * What presence(channel) and presenceInfo(channel) put before the channel name (the destroy script of
   * one Redis server builds them; after the name comes `}`).
   */
  presenceParts(): [string, string] {
    return [`${this.prefix}:p:{`, `${this.prefix}:pi:{`];
  }

  /** HASH clientId -> presence info JSON of a channel's present clients (same slot as presence()). */
  presenceInfo(channel: string): string {
    return `${this.prefix}:pi:{${channel}}`;
  }

  /**
   * A client key's text around the id, for scripts that find subscribers' keys themselves (history
   * publish: the recipients are read inside the script). `[before, after]`.
   */
  clientKeyParts(): [string, string, string, string] {
    const [c0 = '', c1 = ''] = this.client('\n').split('\n');
    const [q0 = '', q1 = ''] = this.queue('\n').split('\n');
    return [c0, c1, q0, q1];
  }

  /** ZSET clientId -> ms of last activity: the sweeper's index and clientCount. */
  get seen(): string {
    return `${this.prefix}:seen`;
  }

  /** STRING held (`SET NX PX`) by the node running the expiry sweep. */
  get sweepLock(): string {
    return `${this.prefix}:lock:sweep`;
  }

  /** SET of clients subscribed to `pattern` (exact name or `/*`, `/**` pattern). */
  index(pattern: string): string {
    return `${this.prefix}:i:${pattern}`;
  }

  /** STRING: the encoded message of one publish, stored once and shared by every recipient's queue. */
  body(id: string): string {
    return `${this.prefix}:m:{${id}}`;
  }

  /** ZSET node id -> ms of its last sweep tick: the live nodes are those seen within nodeTtl. */
  get nodes(): string {
    return `${this.prefix}:nodes`;
  }

  /** Pub/sub channel of one node: wakes, destroys and expiry checks for clients it holds. */
  wakeChannel(node: string): string {
    return `${this.prefix}:w:${node}`;
  }
}
