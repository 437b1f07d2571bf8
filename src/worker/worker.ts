import type { Codec } from '../codecs/codec.js';
import type { WorkerConfig } from '../config/worker-config.js';
import type { CodeResolverPort } from '../domain/code-resolver-port.js';
import type { Control } from '../domain/control.js';
import type { ExecutorPort } from '../domain/executor-port.js';
import type { StackCatalogPort } from '../domain/stack-catalog-port.js';
import type { TaskEvent } from '../domain/task-event.js';
import type { TaskResult } from '../domain/task-result.js';
import type { TelemetryPort } from '../domain/telemetry-port.js';
import type { WorkerState, WorkerStats } from '../domain/worker-stats.js';
import { ExecutionPlanner } from '../execution/execution-planner.js';
import { IntakeRoom } from '../intake/intake-room.js';
import { IntakeScheduler } from '../intake/intake-scheduler.js';
import type { createKafka } from '../kafka/kafka-connection.js';
import { RecordProducer } from '../kafka/record-producer.js';
import { TailConsumer } from '../kafka/tail-consumer.js';
import { TaskConsumer } from '../kafka/task-consumer.js';
import { HEADERS, type TopicNames, topicNames, workerGroupId } from '../kafka/topic-names.js';
import { InFlightLedger } from '../ledger/in-flight-ledger.js';
import { OutcomePublisher } from '../publishing/outcome-publisher.js';
import { withRetry } from '../resilience/retry.js';
import { PackageLimiter } from '../slots/package-limiter.js';
import { SlotPool } from '../slots/slot-pool.js';
import { CancelRegistry, TaskAbort } from './cancel-registry.js';
import { CommitScheduler } from './commit-scheduler.js';
import { sampleTelemetry, snapshotStats } from './stats-reporter.js';
import { TaskRunner } from './task-runner.js';
import { WorkerCounters } from './worker-counters.js';
import type { WorkerLiveness } from './worker-liveness.js';
import { WorkerTasks } from './worker-tasks.js';

/** The containers' orphan reaper, as the worker drives it. */
export interface ReaperPort {
  reapOnce(opts: { includeOwn: boolean }): Promise<{ own: number; stale: number }>;
  start(onReaped: (counts: { own: number; stale: number }) => void): void;
  stop(): Promise<void>;
}

export interface WorkerCodecs {
  readonly event: Codec<TaskEvent>;
  readonly result: Codec<TaskResult>;
  readonly stats: Codec<WorkerStats>;
  readonly control: Codec<Control>;
}

export interface WorkerDeps {
  readonly config: WorkerConfig;
  readonly kafka: ReturnType<typeof createKafka>;
  readonly executor: ExecutorPort;
  readonly stacks: StackCatalogPort;
  readonly code: CodeResolverPort;
  readonly telemetry: TelemetryPort;
  readonly codecs: WorkerCodecs;
  readonly liveness: WorkerLiveness;
  readonly reaper: ReaperPort | null;
  readonly log: (line: string) => void;
}

/**
 * One `berth worker`: consumes berth.tasks (group `<prefix>-workers`) and berth.retry
 * (`<prefix>-workers-retry`) into one slot pool, follows berth.control for cancels and
 * berth.metrics for peers' heartbeats, publishes WorkerStats. States: STARTING → RUNNING →
 * DRAINING → STOPPED. Contract: `close()` is idempotent; it stops intake, lets running tasks finish
 * up to the drain deadline, kills the rest without committing their offsets, commits what is
 * finished, publishes a final STOPPED snapshot and removes idle containers.
 */
export class Worker {
  private stateValue: WorkerState = 'STARTING';
  private readonly topics: TopicNames;
  private readonly startedAtMs = Date.now();
  private readonly ledger = new InFlightLedger();
  private readonly room: IntakeRoom;
  private readonly slots: SlotPool;
  private readonly counters = new WorkerCounters();
  private readonly cancels: CancelRegistry;
  private readonly producer: RecordProducer;
  private readonly drainCtl = new AbortController();
  private readonly shutdownCtl = new AbortController();
  private readonly tasks: WorkerTasks;
  private readonly taskConsumer: TaskConsumer;
  private readonly retryConsumer: TaskConsumer;
  private readonly control: TailConsumer;
  private readonly heartbeats: TailConsumer;
  private readonly commits: CommitScheduler;
  private statsTimer: NodeJS.Timeout | undefined;
  private closing: Promise<void> | null = null;

  constructor(private readonly d: WorkerDeps) {
    const c = d.config;
    this.topics = topicNames(c.topicPrefix);
    this.room = new IntakeRoom(c.slots + c.prefetch);
    this.slots = new SlotPool({ slots: c.slots, memoryBudgetBytes: c.memoryBudgetBytes });
    this.cancels = new CancelRegistry(c.cancelMemoryMs);
    this.producer = new RecordProducer(d.kafka);
    const runner = this.createRunner();
    this.tasks = new WorkerTasks(runner, (line) => d.log(line));
    const group = workerGroupId(c.topicPrefix);
    this.taskConsumer = this.createConsumer(this.topics.tasks, group, null);
    this.retryConsumer = this.createConsumer(this.topics.retry, `${group}-retry`, (r) => {
      const raw = r.headers[HEADERS.notBefore];
      const due = raw === undefined ? Number.NaN : Number(raw);
      return Number.isFinite(due) ? due : null;
    });
    this.room.onRoom(() => {
      this.taskConsumer.resumeFull();
      this.retryConsumer.resumeFull();
    });
    this.commits = new CommitScheduler(
      this.ledger,
      new Map([
        [this.topics.tasks, (cs) => this.taskConsumer.commit(cs)],
        [this.topics.retry, (cs) => this.retryConsumer.commit(cs)],
      ]),
      50,
      d.log,
    );
    this.control = new TailConsumer({
      kafka: d.kafka,
      topic: this.topics.control,
      groupId: `${c.topicPrefix}-control-${c.workerId}`,
      onRecord: (r) => this.onControl(r.value),
    });
    this.heartbeats = new TailConsumer({
      kafka: d.kafka,
      topic: this.topics.metrics,
      groupId: `${c.topicPrefix}-heartbeats-${c.workerId}`,
      onRecord: (r) => this.onHeartbeat(r.value),
    });
  }

  get state(): WorkerState {
    return this.stateValue;
  }

  private createRunner(): TaskRunner {
    const { config: c, telemetry } = this.d;
    const publisher = new OutcomePublisher({
      producer: this.producer,
      topics: this.topics,
      resultCodec: this.d.codecs.result,
      eventCodec: this.d.codecs.event,
      workerId: c.workerId,
      signal: this.shutdownCtl.signal,
      onRetry: () => telemetry.infraError('kafka'),
    });
    return new TaskRunner({
      workerId: c.workerId,
      eventCodec: this.d.codecs.event,
      planner: new ExecutionPlanner(this.d.stacks, this.d.code, c),
      slots: this.slots,
      packages: new PackageLimiter(),
      executor: this.d.executor,
      publisher,
      cancels: this.cancels,
      telemetry,
      counters: this.counters,
      payloadCapBytes: c.payloadCapBytes,
      retryMaxDelayMs: c.retryMaxDelayMs,
      draining: this.drainCtl.signal,
      shutdown: this.shutdownCtl.signal,
      log: this.d.log,
    });
  }

  private createConsumer(
    topic: string,
    groupId: string,
    notBeforeMs: ConstructorParameters<typeof IntakeScheduler>[0]['notBeforeMs'] | null,
  ): TaskConsumer {
    const scheduler: IntakeScheduler = new IntakeScheduler({
      ledger: this.ledger,
      room: this.room,
      start: (task) => this.tasks.start(task, (acked) => this.onFinished(scheduler, task, acked)),
      ...(notBeforeMs ? { notBeforeMs } : {}),
    });
    this.tasks.addScheduler(scheduler);
    return new TaskConsumer({ kafka: this.d.kafka, groupId, topic, sink: scheduler, log: this.d.log });
  }

  private onFinished(
    scheduler: IntakeScheduler,
    task: Parameters<IntakeScheduler['finish']>[0],
    acked: boolean,
  ): void {
    scheduler.finish(task, acked);
    if (acked) this.commits.poke();
  }

  private onControl(value: Buffer | null): void {
    if (value === null) return;
    try {
      const control = this.d.codecs.control.decode(value);
      if (control.action !== 'CANCEL') return;
      const n = this.cancels.cancel(control.taskId, control.reason ?? 'cancel requested');
      this.d.log(`cancel ${control.taskId}: ${n} running attempt(s) aborted`);
    } catch (err) {
      this.d.log(`ignoring undecodable control record: ${(err as Error).message}`);
    }
  }

  private onHeartbeat(value: Buffer | null): void {
    if (value === null) return;
    try {
      const stats = this.d.codecs.stats.decode(value);
      this.d.liveness.seen(stats.workerId, stats.state === 'STOPPED');
    } catch {
      // A record from a newer or foreign writer: not a heartbeat we can use.
    }
  }

  /** Connects, reaps leftovers, prewarms, starts consuming. Rejects with InfraError on failure. */
  async start(): Promise<void> {
    const retry = { attempts: 5, baseDelayMs: 500, maxDelayMs: 5000 };
    await withRetry(() => this.producer.connect(), retry);
    await this.reapAtStart();
    await this.prewarm();
    await withRetry(() => this.heartbeats.start(), retry);
    await withRetry(() => this.control.start(), retry);
    await withRetry(() => this.taskConsumer.start(), retry);
    await withRetry(() => this.retryConsumer.start(), retry);
    this.stateValue = 'RUNNING';
    this.statsTimer = setInterval(() => void this.publishStats(), this.d.config.statsIntervalMs);
    this.statsTimer.unref();
    await this.publishStats();
    this.d.log(
      `worker ${this.d.config.workerId} running: ${this.d.config.slots} slots, topics ${this.topics.tasks}`,
    );
  }

  private async reapAtStart(): Promise<void> {
    const reaper = this.d.reaper;
    if (!reaper) return;
    try {
      const counts = await reaper.reapOnce({ includeOwn: true });
      if (counts.own + counts.stale > 0) this.d.telemetry.containersReaped(counts.own + counts.stale);
    } catch (err) {
      this.d.log(`reaper at start failed: ${(err as Error).message}`);
    }
    reaper.start((counts) => {
      if (counts.own + counts.stale > 0) this.d.telemetry.containersReaped(counts.own + counts.stale);
    });
  }

  private async prewarm(): Promise<void> {
    const { warmPoolSize, prewarmStacks } = this.d.config;
    if (warmPoolSize === 0) return;
    const stacks = await this.d.stacks.list();
    for (const s of stacks) {
      if (prewarmStacks.length === 0 || prewarmStacks.includes(s.name))
        this.d.executor.prewarm(s.name, s.imageId, warmPoolSize);
    }
  }

  /** The current WorkerStats (also what is published). */
  snapshot(): WorkerStats {
    return snapshotStats(
      {
        workerId: this.d.config.workerId,
        startedAtMs: this.startedAtMs,
        slots: this.slots,
        room: this.room,
        counters: this.counters,
        executor: this.d.executor,
        state: () => this.stateValue,
        partitions: () => [
          ...this.taskConsumer.partitions().map((p) => ({ topic: this.topics.tasks, ...p, lag: -1 })),
          ...this.retryConsumer.partitions().map((p) => ({ topic: this.topics.retry, ...p, lag: -1 })),
        ],
      },
      Date.now(),
    );
  }

  private async publishStats(): Promise<void> {
    const stats = this.snapshot();
    sampleTelemetry(this.d.telemetry, stats);
    try {
      const value = this.d.codecs.stats.encode(stats);
      await this.producer.send(this.topics.metrics, [{ key: stats.workerId, value, headers: {} }]);
    } catch (err) {
      this.d.telemetry.infraError('kafka');
      this.d.log(`stats not published: ${(err as Error).message}`);
    }
  }

  /** Drains and stops; idempotent (later calls wait for the first). */
  close(): Promise<void> {
    this.closing ??= this.drainAndStop();
    return this.closing;
  }

  private async drainAndStop(): Promise<void> {
    const { drainDeadlineMs } = this.d.config;
    this.stateValue = 'DRAINING';
    this.taskConsumer.pauseAll();
    this.retryConsumer.pauseAll();
    this.tasks.closeSchedulers();
    this.drainCtl.abort(new TaskAbort('shutdown', 'worker draining'));
    void this.publishStats();
    const finished = await this.tasks.idle(drainDeadlineMs);
    if (!finished) {
      const killed = this.cancels.killAll('drain deadline reached');
      this.d.log(`drain deadline reached: ${killed} running task(s) killed, their offsets stay uncommitted`);
      await this.tasks.idle(10_000);
    }
    await this.commits.flush();
    this.commits.stop();
    this.shutdownCtl.abort();
    clearInterval(this.statsTimer);
    await Promise.all([
      this.taskConsumer.stop(),
      this.retryConsumer.stop(),
      this.control.stop(),
      this.heartbeats.stop(),
    ]);
    this.stateValue = 'STOPPED';
    await this.publishStats();
    await this.producer.disconnect();
    await this.d.reaper?.stop().catch(() => undefined);
    await this.d.executor.close();
  }
}
