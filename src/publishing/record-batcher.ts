import type {
  BatchSenderPort,
  OutgoingRecord,
  RecordProducerPort,
  TopicRecords,
} from './record-producer-port.js';

export interface RecordBatcherOptions {
  /** Bytes (values + keys) of one request at most; default 512 KiB. */
  readonly maxBatchBytes?: number;
  /** Records of one request at most; default 2000. */
  readonly maxBatchRecords?: number;
  /** A send whose records exceed this many bytes goes in a request of its own; default 256 KiB. */
  readonly soloBytes?: number;
}

interface Pending {
  readonly topic: string;
  readonly records: readonly OutgoingRecord[];
  readonly bytes: number;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

function sizeOf(records: readonly OutgoingRecord[]): number {
  let n = 0;
  for (const r of records) n += r.value.byteLength + (r.key === null ? 0 : r.key.length) + 64;
  return n;
}

/**
 * Coalesces concurrent `send` calls into few produce requests (the worker publishes one result
 * per task; one request per task would cap throughput at one broker round trip per task).
 *
 * Contract: one request is in flight at a time; sends made while it is in flight (or in the
 * same tick) go together into the next one, up to `maxBatchBytes`/`maxBatchRecords`; records keep
 * their send order within a topic-partition. Each `send` settles with the outcome of the request
 * that carried its records: resolved when acknowledged, rejected with that request's error (all
 * sends of a failed request reject, and each caller retries its own records). A send larger than
 * `soloBytes` travels alone, so a size refusal (`RecordTooLargeError`) only ever reaches the send
 * it concerns.
 */
export class RecordBatcher implements RecordProducerPort {
  private readonly queue: Pending[] = [];
  private inFlight = false;
  private scheduled = false;
  private readonly maxBatchBytes: number;
  private readonly maxBatchRecords: number;
  private readonly soloBytes: number;

  constructor(
    private readonly sender: BatchSenderPort,
    opts: RecordBatcherOptions = {},
  ) {
    this.maxBatchBytes = opts.maxBatchBytes ?? 512 * 1024;
    this.maxBatchRecords = opts.maxBatchRecords ?? 2000;
    this.soloBytes = opts.soloBytes ?? 256 * 1024;
  }

  /** Records waiting for the next request (not counting the one in flight). */
  get waiting(): number {
    return this.queue.length;
  }

  send(topic: string, records: readonly OutgoingRecord[]): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ topic, records, bytes: sizeOf(records), resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.inFlight || this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private take(): Pending[] {
    const first = this.queue[0];
    if (first === undefined) return [];
    if (first.bytes > this.soloBytes) return this.queue.splice(0, 1);
    let bytes = 0;
    let count = 0;
    let n = 0;
    for (const p of this.queue) {
      if (p.bytes > this.soloBytes) break;
      if (n > 0 && (bytes + p.bytes > this.maxBatchBytes || count + p.records.length > this.maxBatchRecords))
        break;
      bytes += p.bytes;
      count += p.records.length;
      n++;
    }
    return this.queue.splice(0, n);
  }

  private async flush(): Promise<void> {
    const taken = this.take();
    if (taken.length === 0) return;
    this.inFlight = true;
    const byTopic = new Map<string, OutgoingRecord[]>();
    for (const p of taken) {
      const list = byTopic.get(p.topic);
      if (list) list.push(...p.records);
      else byTopic.set(p.topic, [...p.records]);
    }
    const batch: TopicRecords[] = [...byTopic].map(([topic, records]) => ({ topic, records }));
    try {
      await this.sender.sendBatch(batch);
      for (const p of taken) p.resolve();
    } catch (err) {
      for (const p of taken) p.reject(err);
    } finally {
      this.inFlight = false;
      if (this.queue.length > 0) this.schedule();
    }
  }
}
