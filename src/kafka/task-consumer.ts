import type { Consumer, EachBatchPayload, IHeaders, Kafka, KafkaMessage } from 'kafkajs';
import { InfraError } from '../domain/infra-error.js';
import type { ConsumedRecord, RecordSink } from '../intake/consumed-record.js';

export interface TaskConsumerOptions {
  readonly kafka: Kafka;
  readonly groupId: string;
  readonly topic: string;
  readonly sink: RecordSink;
  /** Consumer session timeout; heartbeats are sent between (short) batches. */
  readonly sessionTimeoutMs?: number;
  /** Largest fetch per partition; small keeps re-fetch after a pause cheap. */
  readonly maxBytesPerPartition?: number;
  readonly log?: (line: string) => void;
  /** The consumer crashed and KafkaJS will not restart it: the worker cannot go on consuming. */
  readonly onFatal?: (err: Error) => void;
}

/** A committed position: the next offset to read (Kafka commit semantics). */
export interface PartitionCommit {
  readonly partition: number;
  readonly offset: string;
}

export interface PartitionState {
  readonly partition: number;
  readonly paused: boolean;
}

function headersOf(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    const v = Array.isArray(value) ? value[0] : value;
    if (v !== undefined) out[name] = Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
  }
  return out;
}

function recordOf(topic: string, partition: number, m: KafkaMessage): ConsumedRecord {
  return { topic, partition, offset: m.offset, key: m.key, value: m.value, headers: headersOf(m.headers) };
}

/**
 * Slot-driven KafkaJS consumer of one topic (berth.tasks or berth.retry). Contract: no auto
 * commit and no auto resolve; each batch only hands records to the sink and returns at once;
 * when the sink refuses a record the partition is paused and the consumer seeks back to that
 * offset, so nothing is skipped; `resumeFull()` resumes partitions paused for lack of room and
 * deferred ones resume by themselves when due. Assignment changes are reported to the sink from
 * GROUP_JOIN, because KafkaJS has no revoke callback.
 */
export class TaskConsumer {
  private readonly consumer: Consumer;
  private readonly pausedFull = new Set<number>();
  private readonly deferred = new Map<number, NodeJS.Timeout>();
  private owned: readonly number[] = [];
  private running = false;
  private fetching = true;

  constructor(private readonly opts: TaskConsumerOptions) {
    this.consumer = opts.kafka.consumer({
      groupId: opts.groupId,
      sessionTimeout: opts.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: 3000,
      maxBytesPerPartition: opts.maxBytesPerPartition ?? 256 * 1024,
      maxWaitTimeInMs: 500,
      retry: { retries: 10 },
    });
    this.consumer.on(this.consumer.events.GROUP_JOIN, (e) => {
      const assignment = e.payload.memberAssignment[opts.topic] ?? [];
      this.owned = [...assignment];
      // Pauses survive rebalances in KafkaJS: partitions paused for room stay in `pausedFull` even
      // when revoked, so a later re-assignment is resumed when room frees instead of staying paused.
      opts.sink.assigned(opts.topic, assignment);
      // Refusing again is cheap (the next batch re-pauses); staying paused while idle is not.
      this.resumeFull();
    });
    this.consumer.on(this.consumer.events.CRASH, (e) => {
      opts.log?.(
        `consumer ${opts.groupId} crashed: ${e.payload.error.message} (restart: ${e.payload.restart})`,
      );
    });
  }

  async start(): Promise<void> {
    try {
      await this.consumer.connect();
      await this.consumer.subscribe({ topic: this.opts.topic, fromBeginning: true });
      await this.consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: 1,
        eachBatch: (payload) => this.onBatch(payload),
      });
      this.running = true;
    } catch (err) {
      throw new InfraError(`cannot start consumer on ${this.opts.topic}: ${(err as Error).message}`, {
        retriable: true,
        component: 'kafka',
        cause: err,
      });
    }
  }

  private async onBatch({
    batch,
    resolveOffset,
    heartbeat,
    isRunning,
    isStale,
  }: EachBatchPayload): Promise<void> {
    const { topic, partition } = batch;
    for (const message of batch.messages) {
      if (!isRunning() || isStale()) return;
      const decision = this.opts.sink.offer(recordOf(topic, partition, message));
      if (decision.kind === 'accepted') {
        resolveOffset(message.offset);
        continue;
      }
      this.consumer.pause([{ topic, partitions: [partition] }]);
      this.consumer.seek({ topic, partition, offset: message.offset });
      if (decision.kind === 'full') this.pausedFull.add(partition);
      else this.resumeAt(partition, decision.untilMs);
      break;
    }
    await heartbeat();
  }

  private resumeAt(partition: number, untilMs: number): void {
    clearTimeout(this.deferred.get(partition));
    const timer = setTimeout(
      () => {
        this.deferred.delete(partition);
        if (this.running && this.fetching)
          this.consumer.resume([{ topic: this.opts.topic, partitions: [partition] }]);
      },
      Math.max(0, untilMs - Date.now()),
    );
    timer.unref();
    this.deferred.set(partition, timer);
  }

  /** Resumes partitions that were paused because intake had no room (call when room frees). */
  resumeFull(): void {
    if (!this.running || !this.fetching || this.pausedFull.size === 0) return;
    const partitions = [...this.pausedFull];
    this.pausedFull.clear();
    this.consumer.resume([{ topic: this.opts.topic, partitions }]);
  }

  /** Stops fetching every partition (drain); commits keep working. */
  pauseAll(): void {
    this.fetching = false;
    for (const t of this.deferred.values()) clearTimeout(t);
    this.deferred.clear();
    if (!this.running) return;
    this.consumer.pause([{ topic: this.opts.topic }]);
  }

  /** Commits next-offsets for partitions this member still owns; returns those committed. */
  async commit(commits: readonly PartitionCommit[]): Promise<PartitionCommit[]> {
    const owned = commits.filter((c) => this.owned.includes(c.partition));
    if (!this.running || owned.length === 0) return [];
    try {
      await this.consumer.commitOffsets(owned.map((c) => ({ topic: this.opts.topic, ...c })));
      return owned;
    } catch (err) {
      throw new InfraError(`commit on ${this.opts.topic} failed: ${(err as Error).message}`, {
        retriable: true,
        component: 'kafka',
        cause: err,
      });
    }
  }

  /** Owned partitions and whether fetching them is paused. */
  partitions(): PartitionState[] {
    const paused = new Set(
      this.consumer.paused().flatMap((tp) => (tp.topic === this.opts.topic ? tp.partitions : [])),
    );
    return this.owned.map((partition) => ({ partition, paused: paused.has(partition) }));
  }

  /** Leaves the group; idempotent. */
  async stop(): Promise<void> {
    if (!this.running) {
      await this.consumer.disconnect().catch(() => undefined);
      return;
    }
    this.running = false;
    for (const t of this.deferred.values()) clearTimeout(t);
    this.deferred.clear();
    await this.consumer.disconnect().catch(() => undefined);
  }
}
