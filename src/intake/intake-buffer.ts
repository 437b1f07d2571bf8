import type { ConsumedRecord, OfferDecision } from './consumed-record.js';

/** Where buffered records are offered (the intake scheduler). */
export interface RecordOfferee {
  offer(record: ConsumedRecord): OfferDecision;
  /** A record passed over while due records behind it are offered (see `RecordSink.hold`). */
  hold?(record: ConsumedRecord): void;
}

export interface IntakeBufferOptions {
  readonly sink: RecordOfferee;
  /** A partition is paused once this many bytes of it are buffered; default 1 MiB. */
  readonly maxPartitionBytes?: number;
  /** Asks for `pump()` at this epoch ms (a not-yet-due record is at a partition's head). */
  readonly wakeAt: (atMs: number) => void;
  readonly now?: () => number;
}

interface PartitionQueue {
  readonly records: ConsumedRecord[];
  head: number;
  bytes: number;
  /** Not before this epoch ms (the head record is deferred); 0 when due. */
  notBeforeMs: number;
}

/** Records looked at behind a partition's not-yet-due head. */
const AHEAD_WINDOW = 64;

/** Records with a null key never share an order with others. */
function keyOf(r: ConsumedRecord): string {
  const k = r.key;
  return k === null ? `@${r.offset}` : Buffer.from(k.buffer, k.byteOffset, k.byteLength).toString('latin1');
}

function bytesOf(r: ConsumedRecord): number {
  return (r.value?.byteLength ?? 0) + (r.key?.byteLength ?? 0) + 128;
}

/**
 * Records fetched from one topic that intake has no room for yet, per partition, in offset
 * order. This is what makes backpressure cheap: a fetched record is never fetched again — the
 * consumer pauses a partition whose buffer is full (no seek back) and resumes it when it drained
 * below half, so memory stays bounded by partitions × `maxPartitionBytes` (plus one fetch) however
 * large the backlog is.
 *
 * Contract: `pump()` offers heads round-robin over partitions while the sink accepts; a `full`
 * answer stops the pump (the sink's room listener calls `pump()` again); a `defer` answer parks
 * that partition until the record is due (`wakeAt`). `clear()` forgets everything buffered: after
 * a rebalance Kafka re-delivers from the committed offsets, so keeping records would duplicate
 * them.
 */
export class IntakeBuffer {
  private readonly queues = new Map<number, PartitionQueue>();
  /** The keys of `queues`, kept in step with it: `pump` runs per finished task and allocates nothing. */
  private partitions: number[] = [];
  private readonly maxPartitionBytes: number;
  private readonly now: () => number;
  private cursor = 0;

  constructor(private readonly opts: IntakeBufferOptions) {
    this.maxPartitionBytes = opts.maxPartitionBytes ?? 1024 * 1024;
    this.now = opts.now ?? Date.now;
  }

  /** Appends fetched records of one partition (in offset order). */
  push(partition: number, records: readonly ConsumedRecord[]): void {
    let q = this.queues.get(partition);
    if (q === undefined) {
      q = { records: [], head: 0, bytes: 0, notBeforeMs: 0 };
      this.queues.set(partition, q);
      this.partitions = [...this.queues.keys()];
    }
    for (const r of records) {
      q.records.push(r);
      q.bytes += bytesOf(r);
    }
  }

  /** Whether the partition holds so much that fetching it must pause. */
  isFull(partition: number): boolean {
    return (this.queues.get(partition)?.bytes ?? 0) >= this.maxPartitionBytes;
  }

  /** Whether a paused partition drained enough to be fetched again. */
  wantsMore(partition: number): boolean {
    return (this.queues.get(partition)?.bytes ?? 0) < this.maxPartitionBytes / 2;
  }

  /** Records buffered over all partitions. */
  get size(): number {
    let n = 0;
    for (const q of this.queues.values()) n += q.records.length - q.head;
    return n;
  }

  /** Bytes buffered over all partitions (estimate: values, keys and a per-record overhead). */
  get bytes(): number {
    let n = 0;
    for (const q of this.queues.values()) n += q.bytes;
    return n;
  }

  /** Offers buffered records to the sink until it is full or nothing due is left. */
  pump(): void {
    const partitions = this.partitions;
    if (partitions.length === 0) return;
    const now = this.now();
    let idle = 0;
    let earliest = Number.POSITIVE_INFINITY;
    // Round-robin, one record per partition per turn, so no partition starves the others.
    while (idle < partitions.length) {
      this.cursor = (this.cursor + 1) % partitions.length;
      const q = this.queues.get(partitions[this.cursor] as number) as PartitionQueue;
      const record = q.records[q.head];
      if (record === undefined || q.notBeforeMs > now) {
        if (record !== undefined) {
          earliest = Math.min(earliest, q.notBeforeMs);
          const ahead = this.offerAhead(q);
          if (ahead === 'full') return;
          earliest = Math.min(earliest, ahead.earliest);
          if (ahead.taken > 0) {
            idle = 0;
            continue;
          }
        }
        idle++;
        continue;
      }
      const decision = this.opts.sink.offer(record);
      if (decision.kind === 'full') return;
      if (decision.kind === 'defer') {
        q.notBeforeMs = decision.untilMs;
        earliest = Math.min(earliest, decision.untilMs);
        idle = 0; // its turn comes round again: records behind it may be due
        continue;
      }
      q.notBeforeMs = 0;
      this.shift(q);
      idle = 0;
    }
    if (earliest !== Number.POSITIVE_INFINITY) this.opts.wakeAt(earliest);
  }

  /**
   * The head of `q` is not due yet (a retry waiting for its backoff): offers due records behind it
   * whose key no waiting record before them has, so a 1 s retry does not wait behind another
   * task's 60 s backoff while records of one key still start in offset order. Looks at most
   * `AHEAD_WINDOW` records deep.
   */
  private offerAhead(q: PartitionQueue): 'full' | { taken: number; earliest: number } {
    const blocked = new Set<string>([keyOf(q.records[q.head] as ConsumedRecord)]);
    let taken = 0;
    let earliest = Number.POSITIVE_INFINITY;
    let end = Math.min(q.records.length, q.head + 1 + AHEAD_WINDOW);
    for (let i = q.head + 1; i < end; i++) {
      const r = q.records[i] as ConsumedRecord;
      const key = keyOf(r);
      if (blocked.has(key)) {
        // Passed over for now: the sink must not let records taken after it commit past it.
        this.opts.sink.hold?.(r);
        continue;
      }
      const decision = this.opts.sink.offer(r);
      if (decision.kind === 'full') return 'full';
      if (decision.kind === 'defer') {
        blocked.add(key);
        earliest = Math.min(earliest, decision.untilMs);
        continue;
      }
      q.records.splice(i, 1);
      q.bytes -= bytesOf(r);
      i--;
      end--;
      taken++;
    }
    return { taken, earliest };
  }

  /** Forgets the records of the given partitions (all when omitted). */
  clear(partitions?: readonly number[]): void {
    if (partitions === undefined) this.queues.clear();
    else for (const p of partitions) this.queues.delete(p);
    this.partitions = [...this.queues.keys()];
  }

  private shift(q: PartitionQueue): void {
    const r = q.records[q.head] as ConsumedRecord;
    q.records[q.head] = undefined as unknown as ConsumedRecord; // let the record be collected
    q.head++;
    q.bytes -= bytesOf(r);
    if (q.head === q.records.length) {
      q.records.length = 0;
      q.head = 0;
      q.bytes = 0;
    } else if (q.head > 1024 && q.head * 2 > q.records.length) {
      q.records.splice(0, q.head);
      q.head = 0;
    }
  }
}
