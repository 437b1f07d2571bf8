import type { Consumer, EachBatchPayload, IHeaders, Kafka, KafkaMessage } from 'kafkajs';
import { InfraError } from '../domain/infra-error.js';
import type { ConsumedRecord, RecordSink } from '../intake/consumed-record.js';
import { IntakeBuffer } from '../intake/intake-buffer.js';

export interface TaskConsumerOptions {
  readonly kafka: Kafka;
  readonly groupId: string;
  readonly topic: string;
  readonly sink: RecordSink;
  /** Consumer session timeout; heartbeats are sent between (short) batches. */
  readonly sessionTimeoutMs?: number;
  /** Largest fetch per partition. */
  readonly maxBytesPerPartition?: number;
  /** Fetched-but-not-taken bytes per partition before fetching it pauses (IntakeBuffer). */
  readonly bufferBytesPerPartition?: number;
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
 * Slot-driven KafkaJS consumer of one topic (a lane's tasks or retry topic). Contract: no auto
 * commit; each batch is appended to an `IntakeBuffer` (offsets resolved, so KafkaJS fetches on
 * from there) and the buffer is pumped into the sink at once; a partition whose buffer is full is
 * paused — never sought back, so a record is fetched once however long it waits — and resumed
 * by `pump()` once its buffer drained. After every (re)join the buffer is cleared: KafkaJS
 * restarts each assigned partition at its committed offset, and the ledger recognises offsets
 * already in hand. Assignment changes are reported to the sink from GROUP_JOIN, because KafkaJS
 * has no revoke callback.
 */
export class TaskConsumer {
  private readonly consumer: Consumer;
  private readonly buffer: IntakeBuffer;
  private readonly pausedFull = new Set<number>();
  private wakeTimer: NodeJS.Timeout | undefined;
  private wakeAtMs = Number.POSITIVE_INFINITY;
  private owned: readonly number[] = [];
  private running = false;
  private fetching = true;
  /** Epoch ms of the last heartbeat (or join) the coordinator answered; 0 before joining. */
  private lastSessionProofMs = 0;
  /** Partitions the coordinator confirmed in the last commit (KafkaJS COMMIT_OFFSETS event). */
  private confirmed: Set<number> | null = null;

  constructor(private readonly opts: TaskConsumerOptions) {
    this.consumer = opts.kafka.consumer({
      groupId: opts.groupId,
      sessionTimeout: opts.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: Math.min(3000, Math.floor((opts.sessionTimeoutMs ?? 30_000) / 3)),
      maxBytesPerPartition: opts.maxBytesPerPartition ?? 1024 * 1024,
      maxWaitTimeInMs: 100,
      retry: { retries: 10 },
    });
    this.buffer = new IntakeBuffer({
      sink: opts.sink,
      ...(opts.bufferBytesPerPartition === undefined
        ? {}
        : { maxPartitionBytes: opts.bufferBytesPerPartition }),
      wakeAt: (atMs) => this.wakeAt(atMs),
    });
    this.consumer.on(this.consumer.events.HEARTBEAT, () => {
      this.lastSessionProofMs = Date.now();
    });
    this.consumer.on(this.consumer.events.COMMIT_OFFSETS, (e) => {
      const parts = e.payload.topics.filter((t) => t.topic === opts.topic).flatMap((t) => t.partitions);
      this.confirmed = new Set(parts.map((p) => Number(p.partition)));
    });
    this.consumer.on(this.consumer.events.GROUP_JOIN, (e) => {
      this.lastSessionProofMs = Date.now();
      const assignment = e.payload.memberAssignment[opts.topic] ?? [];
      this.owned = [...assignment];
      this.buffer.clear();
      opts.sink.assigned(opts.topic, assignment);
      // Pauses survive rebalances in KafkaJS; the buffer is empty now, so fetch everything again.
      this.resumeDrained();
    });
    this.consumer.on(this.consumer.events.CRASH, (e) => {
      opts.log?.(
        `consumer ${opts.groupId} crashed: ${e.payload.error.message} (restart: ${e.payload.restart})`,
      );
      if (!e.payload.restart) {
        this.running = false;
        opts.onFatal?.(e.payload.error);
      }
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
      // A topic created by an older Berth misses the lane topics: say how to add them.
      const missing =
        (err as { type?: string }).type === 'UNKNOWN_TOPIC_OR_PARTITION'
          ? ' (missing topic: `berth infra topics` creates every Berth topic, the priority lanes included)'
          : '';
      throw new InfraError(
        `cannot start consumer on ${this.opts.topic}: ${(err as Error).message}${missing}`,
        {
          retriable: true,
          component: 'kafka',
          cause: err,
        },
      );
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
    if (!isRunning() || isStale() || batch.messages.length === 0) return;
    this.buffer.push(
      partition,
      batch.messages.map((m) => recordOf(topic, partition, m)),
    );
    resolveOffset(batch.lastOffset());
    this.buffer.pump();
    if (this.buffer.isFull(partition) && !this.pausedFull.has(partition)) {
      this.consumer.pause([{ topic, partitions: [partition] }]);
      this.pausedFull.add(partition);
    }
    await heartbeat();
  }

  private wakeAt(atMs: number): void {
    if (atMs >= this.wakeAtMs && this.wakeTimer !== undefined) return;
    clearTimeout(this.wakeTimer);
    this.wakeAtMs = atMs;
    this.wakeTimer = setTimeout(
      () => {
        this.wakeTimer = undefined;
        this.wakeAtMs = Number.POSITIVE_INFINITY;
        this.pump();
      },
      Math.max(0, atMs - Date.now()),
    );
    this.wakeTimer.unref();
  }

  /** Offers buffered records again (call when intake room frees) and resumes drained partitions. */
  pump(): void {
    if (!this.running) return;
    this.buffer.pump();
    this.resumeDrained();
  }

  private resumeDrained(): void {
    if (!this.running || !this.fetching || this.pausedFull.size === 0) return;
    const partitions = [...this.pausedFull].filter((p) => this.buffer.wantsMore(p));
    if (partitions.length === 0) return;
    for (const p of partitions) this.pausedFull.delete(p);
    this.consumer.resume([{ topic: this.opts.topic, partitions }]);
  }

  /** Records fetched but not yet taken by intake, and their estimated bytes. */
  buffered(): { records: number; bytes: number } {
    return { records: this.buffer.size, bytes: this.buffer.bytes };
  }

  /** Stops fetching every partition (drain); commits keep working. */
  pauseAll(): void {
    this.fetching = false;
    clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
    if (!this.running) return;
    this.consumer.pause([{ topic: this.opts.topic }]);
  }

  /**
   * Commits next-offsets for partitions this member still owns; returns those the coordinator
   * confirmed. KafkaJS's `commitOffsets` returns quietly without committing while its runner is
   * not running (rejoining, restarting): only partitions reported by its COMMIT_OFFSETS event
   * count, so the ledger never believes in a commit that did not happen.
   */
  async commit(commits: readonly PartitionCommit[]): Promise<PartitionCommit[]> {
    const owned = commits.filter((c) => this.owned.includes(c.partition));
    if (!this.running || owned.length === 0) return [];
    try {
      this.confirmed = null;
      await this.consumer.commitOffsets(owned.map((c) => ({ topic: this.opts.topic, ...c })));
      const confirmed = this.confirmed as Set<number> | null;
      return confirmed === null ? [] : owned.filter((c) => confirmed.has(c.partition));
    } catch (err) {
      throw new InfraError(`commit on ${this.opts.topic} failed: ${(err as Error).message}`, {
        retriable: true,
        component: 'kafka',
        cause: err,
      });
    }
  }

  /**
   * Whether this member's group session is proven alive: the coordinator answered a heartbeat or
   * a join within `withinMs`. Until the session could have expired, no other member can have been
   * given this member's partitions (they move only after a join this member takes part in, or
   * after its session timed out).
   */
  sessionAlive(withinMs: number): boolean {
    return this.running && Date.now() - this.lastSessionProofMs < withinMs;
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
    clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
    this.buffer.clear();
    await this.consumer.disconnect().catch(() => undefined);
  }
}
