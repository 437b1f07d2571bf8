import type { LedgerTicket } from '../ledger/in-flight-ledger.js';
import type { ConsumedRecord } from './consumed-record.js';

/** A consumed record the worker holds until its outcome is acknowledged (or it is dropped). */
export interface HeldTask {
  readonly record: ConsumedRecord;
  readonly ticket: LedgerTicket;
  /** Per-key queue this task waits in (partition-scoped ordering key). */
  readonly queueKey: string;
  readonly consumedAtMs: number;
  /**
   * `performance.now()` when consumed: the sub-millisecond start of the platform overhead metric
   * (epoch ms alone would round each end of a ~1 ms span to whole ms).
   */
  readonly consumedAtTick: number;
}
