import type { Admission, RecentTaskIdsOptions } from '../../src/ledger/recent-task-ids.js';

interface Entry {
  readonly origin: string;
  readonly position: string;
  readonly attempt: number;
  readonly done: boolean;
  readonly moved: boolean;
  readonly atMs: number;
  /** Which `order` slot is this entry's latest (older slots of the id are stale). */
  readonly seq: number;
}

/**
 * The idempotency memory written plainly (one object per id, positions as strings, every id
 * seen appended to an order list that is swept from the front): the executable statement of
 * `RecentTaskIds`'s contract, against which its compact layout is checked operation by operation
 * (the same answers and the same `size`, including ids expired but not yet swept).
 */
export class RecentTaskIdsModel {
  private readonly ids = new Map<string, Entry>();
  private readonly order: { readonly id: string; readonly seq: number }[] = [];
  private head = 0;
  private seq = 0;
  private readonly now: () => number;

  constructor(private readonly opts: RecentTaskIdsOptions) {
    this.now = opts.now ?? Date.now;
  }

  get size(): number {
    return this.ids.size;
  }

  admit(id: string, attempt: number, position: string, origin = position): Admission {
    const e = this.live(id);
    if (e === undefined || attempt > e.attempt || (e.moved && e.origin === origin && attempt === e.attempt)) {
      this.put(id, { origin, position, attempt, done: false, moved: false, atMs: this.now(), seq: 0 });
      return { kind: 'run' };
    }
    if (e.position === position) return e.done ? { kind: 'finished' } : { kind: 'run' };
    return { kind: 'duplicate', first: e.origin };
  }

  moved(id: string, position: string): void {
    const e = this.live(id);
    if (e !== undefined && e.position === position) this.put(id, { ...e, moved: true, atMs: this.now() });
  }

  release(id: string, position: string): void {
    const e = this.ids.get(id);
    if (e !== undefined && e.position === position && !e.done && !e.moved) this.ids.delete(id);
  }

  resultSeen(id: string, attempt: number, position: string, atMs: number): void {
    if (this.now() - atMs > this.opts.windowMs) return;
    const e = this.live(id);
    if (e !== undefined && attempt < e.attempt) return;
    if (e?.done && attempt === e.attempt) return;
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
  }
}
