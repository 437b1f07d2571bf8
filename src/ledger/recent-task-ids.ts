/**
 * What a worker decides for a decoded task record before running it:
 * - `run`: the first record of this id (and attempt) within the window, a later attempt, a
 *   re-delivery of the very record this worker holds, or the delay record of a task this worker
 *   moved to berth.retry;
 * - `duplicate`: another record carried this id and an attempt at least as high within the
 *   window (`first` names it): it is not run and nothing is published for it;
 * - `finished`: a re-delivery of a record whose result is already on berth.results: not run again.
 */
export type Admission =
  | { readonly kind: 'run' }
  | { readonly kind: 'duplicate'; readonly first: string }
  | { readonly kind: 'finished' };

export interface RecentTaskIdsOptions {
  /** How long an id is remembered after it was last seen (claimed, moved or finished). */
  readonly windowMs: number;
  /** At most this many ids are remembered; the least recently seen are forgotten first. */
  readonly maxIds: number;
  readonly now?: () => number;
}

interface Entry {
  /** Where the task was first submitted (`topic/partition@offset`), kept across a delay move. */
  readonly origin: string;
  /** The record that carries the task now. */
  readonly position: string;
  readonly attempt: number;
  /** A result of `attempt` is on berth.results. */
  readonly done: boolean;
  /** Moved to berth.retry to wait for its run-at time: the delay record takes over. */
  readonly moved: boolean;
  readonly atMs: number;
  /** Which `order` slot is this entry's latest (older slots of the id are stale). */
  readonly seq: number;
}

/**
 * The idempotency memory: task ids seen within a window, bounded in time and count. Fed by this
 * worker's own intake (`admit`, `moved`, `release`) and by every result on berth.results
 * (`resultSeen`, replayed from the window's start after a restart), so it is rebuilt from Kafka.
 *
 * Contract: `admit` is check-and-claim in one synchronous step, so two records of one id in this
 * process never both get `run` for the same attempt; a higher attempt (a retry) always runs; a
 * re-delivery of the record this process claimed runs again unless its result is known (the
 * at-least-once rule: an outcome withheld or lost must be produced by someone); ids older than
 * `windowMs` or beyond `maxIds` are forgotten and then run again.
 */
export class RecentTaskIds {
  private readonly ids = new Map<string, Entry>();
  /**
   * Ids in the order they were last seen, oldest first, with stale slots skipped lazily: evicting
   * from the front is O(1) amortised (deleting from the front of a Map and iterating it again is
   * not: V8 skips the deleted slots on every new iteration).
   */
  private order: { readonly id: string; readonly seq: number }[] = [];
  private head = 0;
  private seq = 0;
  private readonly now: () => number;

  constructor(private readonly opts: RecentTaskIdsOptions) {
    if (!(opts.windowMs >= 0) || !(Number.isInteger(opts.maxIds) && opts.maxIds >= 1))
      throw new RangeError('windowMs must be >= 0 and maxIds a positive integer');
    this.now = opts.now ?? Date.now;
  }

  get size(): number {
    return this.ids.size;
  }

  /**
   * Decides about a record carrying `id` at `attempt`. `position` is the record's own
   * `topic/partition@offset`; `origin` the position it was first submitted at (the same, unless
   * the record is the delay record of a moved task).
   */
  admit(id: string, attempt: number, position: string, origin = position): Admission {
    const e = this.live(id);
    if (e === undefined || attempt > e.attempt || (e.moved && e.origin === origin && attempt === e.attempt)) {
      this.put(id, { origin, position, attempt, done: false, moved: false, atMs: this.now(), seq: 0 });
      return { kind: 'run' };
    }
    if (e.position === position) return e.done ? { kind: 'finished' } : { kind: 'run' };
    return { kind: 'duplicate', first: e.origin };
  }

  /** The task admitted at `position` now waits on berth.retry: its delay record takes over. */
  moved(id: string, position: string): void {
    const e = this.live(id);
    if (e !== undefined && e.position === position) this.put(id, { ...e, moved: true, atMs: this.now() });
  }

  /** The run admitted at `position` was given up unacknowledged: a re-delivery must run. */
  release(id: string, position: string): void {
    const e = this.ids.get(id);
    if (e !== undefined && e.position === position && !e.done && !e.moved) this.ids.delete(id);
  }

  /** A result of `attempt` written for the record at `position`, finished at `atMs`. */
  resultSeen(id: string, attempt: number, position: string, atMs: number): void {
    if (this.now() - atMs > this.opts.windowMs) return;
    const e = this.live(id);
    if (e !== undefined && attempt < e.attempt) return;
    if (e?.done && attempt === e.attempt) return; // keep the first result's record
    const origin = e !== undefined && e.attempt === attempt ? e.origin : position;
    this.put(id, { origin, position, attempt, done: true, moved: false, atMs, seq: 0 });
  }

  private live(id: string): Entry | undefined {
    const e = this.ids.get(id);
    if (e === undefined) return undefined;
    if (this.now() - e.atMs <= this.opts.windowMs) return e;
    this.ids.delete(id);
    return undefined;
  }

  private put(id: string, e: Entry): void {
    const seq = ++this.seq;
    this.ids.set(id, { ...e, seq });
    this.order.push({ id, seq });
    const now = this.now();
    while (this.head < this.order.length) {
      const slot = this.order[this.head] as { id: string; seq: number };
      const entry = this.ids.get(slot.id);
      const latest = entry !== undefined && entry.seq === slot.seq;
      if (latest && this.ids.size <= this.opts.maxIds && now - entry.atMs <= this.opts.windowMs) break;
      if (latest) this.ids.delete(slot.id);
      this.head++;
    }
    // Drop consumed and stale slots once they are the larger part of the array.
    if (this.head > 1024 && this.head * 2 > this.order.length) {
      this.order = this.order.slice(this.head);
      this.head = 0;
    }
    if (this.order.length - this.head > 2 * this.ids.size + 1024) {
      this.order = this.order.slice(this.head).filter((o) => this.ids.get(o.id)?.seq === o.seq);
      this.head = 0;
    }
  }
}
