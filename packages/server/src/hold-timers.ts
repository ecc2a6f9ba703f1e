// The deadlines of held /meta/connect requests, without a Node Timeout per hold. Every idle client holds a
// connect all the time, and a Timeout with its argument array is about 180 bytes of heap per client. Holds
// of one duration (the server's `timeout`, a client's shorter one, the delivery window) end in the order
// they started, so each duration is a FIFO list with ONE timer armed for its head (what Node's own timer
// lists do inside, but with a 40-byte node instead of a Timeout per entry). Removal is O(1).
// A list that empties keeps its timer until it fires, unref'd (it keeps no process alive): a body deadline
// is armed and cancelled within one request, and clearing the timer each time made every long-polling
// request pay a Node setTimeout, a clearTimeout, a timer list and a list of ours (issue 13).

/** What a deadline calls: a held connect (hold.ts). */
export interface Expiring {
  deadlineReached(): void;
}

/** One armed deadline; hand it back to `cancel`. */
export class TimerNode {
  prev: TimerNode | undefined;
  next: TimerNode | undefined;
  readonly due: number;
  readonly entry: Expiring;
  readonly list: DeadlineList;

  constructor(list: DeadlineList, entry: Expiring, due: number) {
    this.list = list;
    this.entry = entry;
    this.due = due;
  }
}

function onListTimer(list: DeadlineList): void {
  list.fire();
}

class DeadlineList {
  readonly ms: number;
  readonly #owner: HoldTimers;
  #head: TimerNode | undefined;
  #tail: TimerNode | undefined;
  #timer: NodeJS.Timeout | undefined;
  /** The due time the timer was armed for: everything due by then has expired when it fires. */
  #armedFor = 0;

  constructor(owner: HoldTimers, ms: number) {
    this.#owner = owner;
    this.ms = ms;
  }

  get empty(): boolean {
    return this.#head === undefined;
  }

  isHead(node: TimerNode): boolean {
    return this.#head === node;
  }

  add(entry: Expiring): TimerNode {
    const node = new TimerNode(this, entry, Date.now() + this.ms);
    if (this.#tail === undefined) {
      this.#head = this.#tail = node;
      // A timer left from earlier entries fires before this one is due: fire() then re-arms for it.
      const timer = this.#timer;
      if (timer === undefined) this.#arm(this.ms, node.due);
      else timer.ref();
    } else {
      node.prev = this.#tail;
      this.#tail.next = node;
      this.#tail = node;
    }
    return node;
  }

  remove(node: TimerNode): void {
    if (node.prev !== undefined) node.prev.next = node.next;
    else this.#head = node.next;
    if (node.next !== undefined) node.next.prev = node.prev;
    else this.#tail = node.prev;
    node.prev = node.next = undefined;
    // Emptied: the timer stays, unref'd, for the next entry; the list goes when it fires empty.
    if (this.#head === undefined) this.#timer?.unref();
  }

  /**
   * The timer fired: every entry due by now (or by the time it was armed for, so a clock that did not move
   * with the timer, as with fake timers, cannot hold them back) expires, oldest first.
   */
  fire(): void {
    this.#timer = undefined;
    const until = Math.max(Date.now(), this.#armedFor);
    for (let node = this.#head; node !== undefined && node.due <= until; node = this.#head) {
      this.remove(node);
      node.entry.deadlineReached();
    }
    const head = this.#head;
    if (head !== undefined && this.#timer === undefined) {
      this.#arm(Math.max(1, head.due - Date.now()), head.due);
    }
    if (this.#head === undefined) this.#owner.dropList(this);
  }

  #arm(delay: number, due: number): void {
    this.#armedFor = due;
    this.#timer = setTimeout(onListTimer, delay, this);
  }
}

export class HoldTimers {
  readonly #lists = new Map<number, DeadlineList>();

  /** Calls `entry.deadlineReached()` in `ms` (at least 0) unless cancelled first. */
  arm(ms: number, entry: Expiring): TimerNode {
    const key = Math.max(0, Math.floor(ms));
    let list = this.#lists.get(key);
    if (list === undefined) this.#lists.set(key, (list = new DeadlineList(this, key)));
    return list.add(entry);
  }

  cancel(node: TimerNode | undefined): void {
    if (node === undefined) return;
    // Already expired (fire unlinks before calling) or cancelled: nothing to do.
    if (node.prev === undefined && node.next === undefined && !node.list.isHead(node)) return;
    node.list.remove(node);
  }

  /** Lists kept (tests: none once every hold ended and its duration passed). */
  get lists(): number {
    return this.#lists.size;
  }

  /** @internal A list whose timer fired with nothing left; a later arm of that duration makes a new one. */
  dropList(list: DeadlineList): void {
    if (list.empty && this.#lists.get(list.ms) === list) this.#lists.delete(list.ms);
  }
}
