import { PartitionLedger } from './partition-ledger.js';

/** Proof that an offset was consumed under one ownership (epoch) of its partition. */
export interface LedgerTicket {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  readonly epoch: number;
}

export interface DueCommit {
  readonly topic: string;
  readonly partition: number;
  /** Next offset to read (Kafka commit semantics), decimal. */
  readonly offset: string;
  readonly epoch: number;
}

function slot(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

/**
 * Consumed and finished offsets of every partition this worker owns. Contract: commits are only
 * offered for partitions owned now, and a ticket from an earlier ownership (revoked, maybe
 * re-assigned since) never moves a commit: its task may still publish its result, but the new
 * owner's offsets are never overwritten.
 */
export class InFlightLedger {
  private readonly partitions = new Map<string, PartitionLedger>();
  private epochs = 0;

  /** Starts tracking a partition (no-op when already owned). */
  assign(topic: string, partition: number): void {
    const k = slot(topic, partition);
    if (!this.partitions.has(k)) this.partitions.set(k, new PartitionLedger(topic, partition, ++this.epochs));
  }

  /** Forgets a partition: its in-flight tickets become stale. */
  revoke(topic: string, partition: number): void {
    this.partitions.delete(slot(topic, partition));
  }

  /** Revokes every owned partition of `topic` not in `owned`; returns the revoked ones. */
  retainOnly(topic: string, owned: readonly number[]): number[] {
    const keep = new Set(owned);
    const revoked: number[] = [];
    for (const p of this.partitions.values()) {
      if (p.topic === topic && !keep.has(p.partition)) revoked.push(p.partition);
    }
    for (const partition of revoked) this.revoke(topic, partition);
    for (const partition of owned) this.assign(topic, partition);
    return revoked;
  }

  owns(topic: string, partition: number): boolean {
    return this.partitions.has(slot(topic, partition));
  }

  isCurrent(ticket: LedgerTicket): boolean {
    return this.partitions.get(slot(ticket.topic, ticket.partition))?.epoch === ticket.epoch;
  }

  /** Records a consumed offset; null when it is a re-delivery of an offset already in hand. */
  consumed(topic: string, partition: number, offset: bigint, atMs = Date.now()): LedgerTicket | null {
    this.assign(topic, partition);
    const p = this.partitions.get(slot(topic, partition)) as PartitionLedger;
    return p.consumed(offset, atMs) ? { topic, partition, offset, epoch: p.epoch } : null;
  }

  /**
   * Records an offset whose record is not due yet (berth.retry), or was passed over because its
   * key waits behind such a record: the partition's commit waits for it until it started and
   * finished. False when it is a re-delivery of an offset already started (drop it).
   */
  deferred(topic: string, partition: number, offset: bigint): boolean {
    this.assign(topic, partition);
    return (this.partitions.get(slot(topic, partition)) as PartitionLedger).deferred(offset);
  }

  /** Marks a ticket finished (its outcome is acked); false for a stale or unknown ticket. */
  finished(ticket: LedgerTicket): boolean {
    const p = this.partitions.get(slot(ticket.topic, ticket.partition));
    if (!p || p.epoch !== ticket.epoch) return false;
    return p.finished(ticket.offset);
  }

  /** Commits that would advance an owned partition. */
  dueCommits(): DueCommit[] {
    const due: DueCommit[] = [];
    for (const p of this.partitions.values()) {
      const offset = p.commitDue();
      if (offset !== null)
        due.push({ topic: p.topic, partition: p.partition, offset: offset.toString(), epoch: p.epoch });
    }
    return due;
  }

  /** Records an acknowledged commit; ignored when the partition changed owner since. */
  committed(commit: DueCommit): void {
    const p = this.partitions.get(slot(commit.topic, commit.partition));
    if (p && p.epoch === commit.epoch) p.markCommitted(BigInt(commit.offset));
  }

  /** Next offset that would be committed for an owned partition (null: unknown or not owned). */
  committableOf(topic: string, partition: number): bigint | null {
    return this.partitions.get(slot(topic, partition))?.committable() ?? null;
  }

  /** How long an owned partition's oldest unfinished offset has been waiting, ms (0: none). */
  oldestUnfinishedAgeMs(topic: string, partition: number, nowMs = Date.now()): number {
    return this.partitions.get(slot(topic, partition))?.oldestUnfinishedAgeMs(nowMs) ?? 0;
  }

  /** Consumed, unfinished tasks over all owned partitions. */
  get inFlight(): number {
    let n = 0;
    for (const p of this.partitions.values()) n += p.inFlight;
    return n;
  }
}
