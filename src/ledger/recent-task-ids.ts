import { IdIndex } from './id-index.js';
import { PositionCodec } from './position-codec.js';
import { PositionColumn } from './position-column.js';
import { grown } from './typed-array-growth.js';

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

/** Flag bits of a remembered id. */
const DONE = 1; // a result of its attempt is on berth.results
const MOVED = 2; // moved to berth.retry to wait for its run-at time: the delay record takes over

/** Slots allocated before the first growth (fewer if `maxIds` is smaller). */
const INITIAL_SLOTS = 1024;

const RUN: Admission = Object.freeze({ kind: 'run' });
const FINISHED: Admission = Object.freeze({ kind: 'finished' });

/**
 * The idempotency memory: task ids seen within a window, bounded in time and count. Fed by this
 * worker's own intake (`admit`, `moved`, `release`) and by every result on berth.results
 * (`resultSeen`, replayed from the window's start after a restart), so it is rebuilt from Kafka.
 *
 * Contract: `admit` is check-and-claim in one synchronous step, so two records of one id in this
 * process never both get `run` for the same attempt; a higher attempt (a retry) always runs; a
 * re-delivery of the record this process claimed runs again unless its result is known (the
 * at-least-once rule: an outcome withheld or lost must be produced by someone); ids older than
 * `windowMs` or beyond `maxIds` are forgotten and then run again. A call reads the clock at most
 * once.
 *
 * Layout: an id maps to a slot number through `IdIndex`, which keeps the id's bytes, not the
 * string; a slot's fields live in typed arrays: the attempt, the done and moved flags, when it was
 * last seen, and the two positions as numbers (`PositionColumn`). No object is made per id, nor
 * per call but a duplicate's answer, and no id string is kept (but one whose encoding is longer
 * than the 64 bytes `IdIndex` keeps in place). The arrays grow by doubling up to `maxIds + 1`
 * slots (the bound is enforced right after an id is added), so a small workload pays for few
 * slots. About 155 bytes an id, all in array buffers, outside the V8 heap, so a full memory does
 * not make the heap grow (measured at 100,000 UUID ids: 154 bytes in array buffers, under 1 on
 * the heap).
 */
export class RecentTaskIds {
  /** Which slot an id has (off the V8 heap: no id string is kept). */
  private readonly slots: IdIndex;
  private attempts: Float64Array;
  private flags: Uint8Array;
  /** When the slot's id was last seen (its result's finish time, for an id seen as a result). */
  private atMs: Float64Array;
  /** Index in `order` of the slot's latest entry; -1 for a free slot. */
  private latest: Int32Array;
  private readonly codec = new PositionCodec();
  /** Where the task was first submitted, kept across a delay move. */
  private readonly origins: PositionColumn;
  /** The record that carries the task now. */
  private readonly positions: PositionColumn;
  /** Slots given back, to be handed out again before new ones. */
  private free: Int32Array;
  private freeCount = 0;
  /** Slots handed out so far (free or not). */
  private used = 0;
  private capacity: number;
  private readonly maxSlots: number;
  /**
   * Slots in the order their ids were last seen, oldest first, in `[head, tail)`; an entry that
   * is not its slot's `latest` is stale and skipped. Evicting from the front is O(1) amortised;
   * when the tail reaches the end, the live entries move to the front (doubling the array if they
   * fill more than half of it), so it holds at most about four entries per remembered id.
   */
  private order: Int32Array;
  private head = 0;
  private tail = 0;
  private readonly windowMs: number;
  private readonly maxIds: number;
  private readonly now: () => number;

  constructor(opts: RecentTaskIdsOptions) {
    if (!(opts.windowMs >= 0) || !(Number.isInteger(opts.maxIds) && opts.maxIds >= 1))
      throw new RangeError('windowMs must be >= 0 and maxIds a positive integer');
    this.windowMs = opts.windowMs;
    this.maxIds = opts.maxIds;
    this.now = opts.now ?? Date.now;
    this.maxSlots = opts.maxIds + 1;
    const capacity = Math.min(this.maxSlots, INITIAL_SLOTS);
    this.capacity = capacity;
    this.slots = new IdIndex(capacity);
    this.attempts = new Float64Array(capacity);
    this.flags = new Uint8Array(capacity);
    this.atMs = new Float64Array(capacity);
    this.latest = new Int32Array(capacity);
    this.free = new Int32Array(capacity);
    this.origins = new PositionColumn(this.codec, capacity);
    this.positions = new PositionColumn(this.codec, capacity);
    this.order = new Int32Array(2 * capacity);
  }

  get size(): number {
    return this.slots.size;
  }

  /**
   * Decides about a record carrying `id` at `attempt`. `position` is the record's own
   * `topic/partition@offset`; `origin` the position it was first submitted at (the same, unless
   * the record is the delay record of a moved task).
   */
  admit(id: string, attempt: number, position: string, origin = position): Admission {
    const now = this.now();
    let slot = this.live(id, now);
    if (
      slot < 0 ||
      attempt > (this.attempts[slot] as number) ||
      (((this.flags[slot] as number) & MOVED) !== 0 &&
        attempt === this.attempts[slot] &&
        this.origins.equals(slot, origin))
    ) {
      if (slot < 0) slot = this.claim();
      this.positions.set(slot, position);
      if (origin === position) this.origins.copy(slot, this.positions);
      else this.origins.set(slot, origin);
      this.attempts[slot] = attempt;
      this.flags[slot] = 0;
      this.atMs[slot] = now;
      this.seen(slot, now);
      return RUN;
    }
    if (this.positions.equals(slot, position))
      return ((this.flags[slot] as number) & DONE) !== 0 ? FINISHED : RUN;
    return { kind: 'duplicate', first: this.origins.text(slot) };
  }

  /** The task admitted at `position` now waits on berth.retry: its delay record takes over. */
  moved(id: string, position: string): void {
    const now = this.now();
    const slot = this.live(id, now);
    if (slot < 0 || !this.positions.equals(slot, position)) return;
    this.flags[slot] = (this.flags[slot] as number) | MOVED;
    this.atMs[slot] = now;
    this.seen(slot, now);
  }

  /** The run admitted at `position` was given up unacknowledged: a re-delivery must run. */
  release(id: string, position: string): void {
    const slot = this.slots.find(id);
    if (slot < 0 || ((this.flags[slot] as number) & (DONE | MOVED)) !== 0) return;
    if (this.positions.equals(slot, position)) this.forget(slot);
  }

  /** A result of `attempt` written for the record at `position`, finished at `atMs`. */
  resultSeen(id: string, attempt: number, position: string, atMs: number): void {
    const now = this.now();
    if (now - atMs > this.windowMs) return;
    let slot = this.live(id, now);
    if (slot < 0) {
      slot = this.claim();
      this.positions.set(slot, position);
      this.origins.copy(slot, this.positions);
    } else {
      const known = this.attempts[slot] as number;
      if (attempt < known) return;
      if (attempt === known) {
        if (((this.flags[slot] as number) & DONE) !== 0) return; // keep the first result's record
        this.positions.set(slot, position); // the origin stays
      } else {
        this.positions.set(slot, position);
        this.origins.copy(slot, this.positions);
      }
    }
    this.attempts[slot] = attempt;
    this.flags[slot] = DONE;
    this.atMs[slot] = atMs;
    this.seen(slot, now);
  }

  /** The slot of `id` if it was seen within the window, else -1 (and `id` is forgotten). */
  private live(id: string, now: number): number {
    const slot = this.slots.find(id);
    if (slot < 0) return -1;
    if (now - (this.atMs[slot] as number) <= this.windowMs) return slot;
    this.forget(slot);
    return -1;
  }

  /** A slot for the id `live` was last asked about, which has none. */
  private claim(): number {
    let slot: number;
    if (this.freeCount > 0) {
      slot = this.free[--this.freeCount] as number;
    } else {
      if (this.used === this.capacity) this.grow();
      slot = this.used++;
    }
    this.slots.addLast(slot);
    return slot;
  }

  private forget(slot: number): void {
    this.slots.remove(slot);
    this.latest[slot] = -1;
    this.origins.clear(slot);
    this.positions.clear(slot);
    this.free[this.freeCount++] = slot;
  }

  /**
   * Marks `slot` as the most recently seen, then forgets from the least recently seen end while
   * more than `maxIds` ids are held or the oldest was seen longer than the window ago.
   */
  private seen(slot: number, now: number): void {
    if (this.tail === this.order.length) this.compactOrder();
    this.latest[slot] = this.tail;
    this.order[this.tail++] = slot;
    while (this.head < this.tail) {
      const oldest = this.order[this.head] as number;
      const isLatest = this.latest[oldest] === this.head;
      if (isLatest && this.slots.size <= this.maxIds && now - (this.atMs[oldest] as number) <= this.windowMs)
        break;
      if (isLatest) this.forget(oldest);
      this.head++;
    }
  }

  /** Moves the live entries of `order` to its front, doubling it if they fill more than half. */
  private compactOrder(): void {
    const order = this.order;
    const latest = this.latest;
    let kept = 0;
    for (let i = this.head; i < this.tail; i++) {
      const slot = order[i] as number;
      if (latest[slot] !== i) continue;
      order[kept] = slot;
      latest[slot] = kept++;
    }
    this.head = 0;
    this.tail = kept;
    if (kept * 2 > order.length) {
      this.order = new Int32Array(order.length * 2);
      this.order.set(order.subarray(0, kept));
    }
  }

  private grow(): void {
    const capacity = Math.min(this.maxSlots, this.capacity * 2);
    this.attempts = grown(this.attempts, new Float64Array(capacity));
    this.flags = grown(this.flags, new Uint8Array(capacity));
    this.atMs = grown(this.atMs, new Float64Array(capacity));
    this.latest = grown(this.latest, new Int32Array(capacity));
    this.free = grown(this.free, new Int32Array(capacity));
    this.slots.grow(capacity);
    this.origins.grow(capacity);
    this.positions.grow(capacity);
    this.capacity = capacity;
  }
}
