import { PRIORITY_LANES, type PriorityLane } from '../domain/priority-lane.js';
import type { WorkerState, WorkerStats } from '../domain/worker-stats.js';
import { ExecutionPlanner } from '../execution/execution-planner.js';
import type { ConsumedRecord } from '../intake/consumed-record.js';
import type { HeldTask } from '../intake/held-task.js';
import { IntakeRoom } from '../intake/intake-room.js';
import { IntakeScheduler } from '../intake/intake-scheduler.js';
import { LaneArbiter } from '../intake/lane-arbiter.js';
import { LagProbe } from '../kafka/lag-probe.js';
import { RecordProducer } from '../kafka/record-producer.js';
import { TaskConsumer } from '../kafka/task-consumer.js';
import { HEADERS, laneGroupId, laneTopics, type TopicNames, topicNames } from '../kafka/topic-names.js';
import { InFlightLedger } from '../ledger/in-flight-ledger.js';
import { RecentTaskIds } from '../ledger/recent-task-ids.js';
import { ProgressService } from '../progress/progress-service.js';
import { OutcomePublisher } from '../publishing/outcome-publisher.js';
import { RecordBatcher } from '../publishing/record-batcher.js';
import { sleep, withRetry } from '../resilience/retry.js';
import { createSecretResolver } from '../secrets/secret-resolver.js';
import { PackageLimiter } from '../slots/package-limiter.js';
import { SlotPool } from '../slots/slot-pool.js';
import { CancelRegistry, TaskAbort } from './cancel-registry.js';
import { CommitScheduler } from './commit-scheduler.js';
import { ContainerUpkeep } from './container-upkeep.js';
import { PeerFollowers } from './peer-followers.js';
import { ResultFollower } from './result-follower.js';
import { StatsReporter } from './stats-reporter.js';
import { TaskRunner } from './task-runner.js';
import { WorkerCounters } from './worker-counters.js';
import type { WorkerDeps } from './worker-deps.js';
import { WorkerTasks } from './worker-tasks.js';

/**
 * How recent a heartbeat answer must be, as a share of the session timeout, for a worker to
 * publish for its partitions: well inside it, so the coordinator cannot have handed them to
 * another member in the meantime.
 */
const SESSION_PROOF_SHARE = 2 / 3;

export type {
  ReaperPort,
  WorkerCodecs,
  WorkerCodeResolver,
  WorkerDeps,
  WorkerService,
} from './worker-deps.js';

/** One consumer of a lane's tasks or retry topic. */
interface LaneConsumer {
  readonly lane: PriorityLane;
  readonly topic: string;
  readonly consumer: TaskConsumer;
}

/**
 * One `berth worker`: consumes the tasks and retry topics of every priority lane (berth.tasks in
 * group `<prefix>-workers`, berth.retry in `<prefix>-workers-retry`, berth.tasks.high in
 * `<prefix>-workers-high`, …) into one intake room arbitrated by lane and one slot pool, follows berth.control for cancels and
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
  /** Every lane's tasks and retry consumers, high lane first. */
  private readonly consumers: readonly LaneConsumer[];
  private readonly arbiter: LaneArbiter;
  private readonly peers: PeerFollowers;
  private readonly commits: CommitScheduler;
  private readonly lagProbe: LagProbe;
  private readonly stats: StatsReporter;
  private readonly upkeep: ContainerUpkeep;
  /** Live output and progress to the progress topic; null when `progressIntervalMs` is 0. */
  private readonly progress: ProgressService | null;
  /** The idempotency memory and what rebuilds it from berth.results; null when switched off. */
  private readonly ids: RecentTaskIds | null;
  private readonly results: ResultFollower | null;
  private closing: Promise<void> | null = null;
  private readonly fatalListeners: ((err: Error) => void)[] = [];

  constructor(private readonly d: WorkerDeps) {
    const c = d.config;
    this.topics = topicNames(c.topicPrefix);
    // High work may take `slots` places beyond the room, so it is admitted at once behind a full
    // prefetch of normal and low work and starts on the next free slots.
    this.room = new IntakeRoom(c.slots + c.prefetch, c.slots);
    this.slots = new SlotPool({
      slots: c.slots,
      memoryBudgetBytes: c.memoryBudgetBytes,
      maxPassOvers: c.maxPassOvers,
    });
    this.cancels = new CancelRegistry(c.cancelMemoryMs);
    this.producer = new RecordProducer(d.kafka);
    this.lagProbe = new LagProbe(d.kafka);
    this.progress =
      c.progressIntervalMs > 0
        ? new ProgressService({
            kafka: d.kafka,
            topic: this.topics.progress,
            workerId: c.workerId,
            intervalMs: c.progressIntervalMs,
            maxBytesPerTask: c.progressMaxBytesPerTask,
            log: d.log,
          })
        : null;
    const windowMs = c.idempotencyWindowMs;
    this.ids = windowMs > 0 ? new RecentTaskIds({ windowMs, maxIds: c.idempotencyMaxIds }) : null;
    this.results =
      this.ids === null
        ? null
        : new ResultFollower({
            kafka: d.kafka,
            resultsTopic: this.topics.results,
            groupId: `${c.topicPrefix}-result-ids-${c.workerId}`,
            codec: d.codecs.result,
            ids: this.ids,
            windowMs,
            log: d.log,
          });
    const runner = this.createRunner();
    this.tasks = new WorkerTasks(runner, (line) => d.log(line));
    const notBeforeMs = (r: ConsumedRecord): number | null => {
      const raw = r.headers[HEADERS.notBefore];
      const due = raw === undefined ? Number.NaN : Number(raw);
      return Number.isFinite(due) ? due : null;
    };
    this.arbiter = new LaneArbiter({ room: this.room, maxPassOvers: c.maxPassOvers });
    this.consumers = PRIORITY_LANES.flatMap((lane) => {
      const t = laneTopics(this.topics, lane);
      const group = laneGroupId(c.topicPrefix, lane);
      return [
        { lane, topic: t.tasks, consumer: this.createConsumer(lane, t.tasks, group, null) },
        { lane, topic: t.retry, consumer: this.createConsumer(lane, t.retry, `${group}-retry`, notBeforeMs) },
      ];
    });
    for (const lc of this.consumers) {
      this.arbiter.add({
        lane: lc.lane,
        pump: () => lc.consumer.pump(),
        waiting: () => lc.consumer.buffered().records,
      });
    }
    this.room.onRoom(() => this.arbiter.grant());
    this.commits = new CommitScheduler(
      this.ledger,
      new Map(
        this.consumers.map((lc) => [
          lc.topic,
          (cs: Parameters<TaskConsumer['commit']>[0]) => lc.consumer.commit(cs),
        ]),
      ),
      50,
      d.log,
    );
    this.peers = new PeerFollowers({
      kafka: d.kafka,
      topics: this.topics,
      topicPrefix: c.topicPrefix,
      workerId: c.workerId,
      controlCodec: d.codecs.control,
      statsCodec: d.codecs.stats,
      cancels: this.cancels,
      liveness: d.liveness,
      log: d.log,
    });
    this.stats = this.createStats();
    this.upkeep = new ContainerUpkeep({
      executor: d.executor,
      stacks: d.stacks,
      installation: d.installation,
      reaper: d.reaper,
      telemetry: d.telemetry,
      warmPoolSize: c.warmPoolSize,
      prewarmStacks: c.prewarmStacks,
      refreshIntervalMs: Math.max(5000, c.statsIntervalMs),
      log: d.log,
    });
  }

  private createStats(): StatsReporter {
    return new StatsReporter({
      sources: {
        workerId: this.d.config.workerId,
        startedAtMs: this.startedAtMs,
        slots: this.slots,
        room: this.room,
        counters: this.counters,
        executor: this.d.executor,
        ledger: this.ledger,
        topics: this.consumers.map((lc) => lc.topic),
        state: () => this.stateValue,
        partitions: () =>
          this.consumers.flatMap((lc) => lc.consumer.partitions().map((p) => ({ topic: lc.topic, ...p }))),
      },
      producer: this.producer,
      codec: this.d.codecs.stats,
      metricsTopic: this.topics.metrics,
      telemetry: this.d.telemetry,
      lagProbe: this.lagProbe,
      log: this.d.log,
    });
  }

  get state(): WorkerState {
    return this.stateValue;
  }

  private createRunner(): TaskRunner {
    const { config: c, telemetry } = this.d;
    const publisher = new OutcomePublisher({
      // Results of many tasks share produce requests: one request in flight, the rest batched.
      producer: new RecordBatcher(this.producer),
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
      planner: new ExecutionPlanner(
        this.d.stacks,
        this.d.code,
        c,
        this.d.secrets ?? createSecretResolver(c.secrets),
      ),
      slots: this.slots,
      packages: new PackageLimiter(),
      executor: this.d.executor,
      publisher,
      cancels: this.cancels,
      ...(this.progress ? { progress: this.progress.port } : {}),
      telemetry,
      counters: this.counters,
      payloadCapBytes: c.payloadCapBytes,
      retryMaxDelayMs: c.retryMaxDelayMs,
      draining: this.drainCtl.signal,
      shutdown: this.shutdownCtl.signal,
      log: this.d.log,
      owns: (task) => this.owns(task),
      ...(this.ids === null ? {} : { ids: this.ids }),
    });
  }

  /**
   * Whether the task's partition is still this worker's: the ledger's ownership epoch is the one
   * the task was consumed under, and the consumer's group session was proven alive recently
   * enough that the coordinator cannot have expired it. While the session is unproven (e.g. the
   * process was stopped for longer than the session), waits for the next heartbeat or rejoin.
   */
  private async owns(task: HeldTask): Promise<boolean> {
    const consumer = this.consumerOf(task.record.topic);
    for (;;) {
      if (!this.ledger.isCurrent(task.ticket)) return false;
      if (consumer.sessionAlive(this.d.config.sessionTimeoutMs * SESSION_PROOF_SHARE)) return true;
      if (this.shutdownCtl.signal.aborted) return false;
      await sleep(100, this.shutdownCtl.signal);
    }
  }

  private consumerOf(topic: string): TaskConsumer {
    const lc = this.consumers.find((c) => c.topic === topic);
    if (lc === undefined) throw new Error(`no consumer for topic ${topic}`);
    return lc.consumer;
  }

  private createConsumer(
    lane: PriorityLane,
    topic: string,
    groupId: string,
    notBeforeMs: ConstructorParameters<typeof IntakeScheduler>[0]['notBeforeMs'] | null,
  ): TaskConsumer {
    const scheduler: IntakeScheduler = new IntakeScheduler({
      ledger: this.ledger,
      room: this.room,
      lane,
      start: (task) => this.tasks.start(task, (acked) => this.onFinished(scheduler, task, acked)),
      ...(notBeforeMs ? { notBeforeMs } : {}),
    });
    this.tasks.addScheduler(scheduler);
    return new TaskConsumer({
      kafka: this.d.kafka,
      groupId,
      topic,
      sink: scheduler,
      sessionTimeoutMs: this.d.config.sessionTimeoutMs,
      bufferBytesPerPartition: this.d.config.intakeBufferBytes,
      log: this.d.log,
      onFatal: (err) => this.fail(err),
    });
  }

  private onFinished(
    scheduler: IntakeScheduler,
    task: Parameters<IntakeScheduler['finish']>[0],
    acked: boolean,
  ): void {
    scheduler.finish(task, acked);
    if (acked) this.commits.poke();
  }

  /** Connects, reaps leftovers, prewarms, starts consuming. Rejects with InfraError on failure. */
  async start(): Promise<void> {
    const retry = { attempts: 5, baseDelayMs: 500, maxDelayMs: 5000 };
    await withRetry(() => this.producer.connect(), retry);
    await this.upkeep.start();
    if (this.d.code.start) await withRetry(() => this.d.code.start?.() ?? Promise.resolve(), retry);
    await withRetry(() => this.peers.start(), retry);
    // The idempotency memory is rebuilt from berth.results before the first task is taken.
    if (this.results) await withRetry(() => this.results?.start() ?? Promise.resolve(), retry);
    await Promise.all(this.consumers.map((lc) => withRetry(() => lc.consumer.start(), retry)));
    this.stateValue = 'RUNNING';
    this.stats.start(this.d.config.statsIntervalMs);
    await this.stats.publish(true);
    for (const service of this.d.services ?? []) await service.start();
    this.d.log(
      `worker ${this.d.config.workerId} running: ${this.d.config.slots} slots, topics ${this.topics.tasksHigh}, ${this.topics.tasks}, ${this.topics.tasksLow}`,
    );
  }

  /** The current WorkerStats (also what is published). */
  snapshot(): WorkerStats {
    return this.stats.snapshot();
  }

  /** Called once when the worker stops by itself because consuming failed for good. */
  onFatal(listener: (err: Error) => void): void {
    this.fatalListeners.push(listener);
  }

  private fail(err: Error): void {
    this.d.log(`fatal: ${err.message}; stopping`);
    void this.close().finally(() => {
      for (const l of this.fatalListeners) l(err);
    });
  }

  /** Drains and stops; idempotent (later calls wait for the first). */
  close(): Promise<void> {
    this.closing ??= this.drainAndStop();
    return this.closing;
  }

  private async drainAndStop(): Promise<void> {
    const { drainDeadlineMs } = this.d.config;
    this.stateValue = 'DRAINING';
    // Services (the scheduler) stop beside the drain: the scheduler leaves its group at once.
    const servicesStopped = Promise.all(
      (this.d.services ?? []).map((service) =>
        service.stop().catch((err: unknown) => this.d.log(`${service.name}: ${(err as Error).message}`)),
      ),
    );
    this.upkeep.stop();
    for (const lc of this.consumers) lc.consumer.pauseAll();
    this.tasks.closeSchedulers();
    this.drainCtl.abort(new TaskAbort('shutdown', 'worker draining'));
    void this.stats.publish(false);
    const finished = await this.tasks.idle(drainDeadlineMs);
    if (!finished) {
      const killed = this.cancels.killAll('drain deadline reached');
      this.d.log(`drain deadline reached: ${killed} running task(s) killed, their offsets stay uncommitted`);
      await this.tasks.idle(10_000);
    }
    await this.commits.flush();
    this.commits.stop();
    this.shutdownCtl.abort();
    this.stats.stop();
    await Promise.all([
      ...this.consumers.map((lc) => lc.consumer.stop()),
      this.peers.stop(),
      this.results?.stop(),
      servicesStopped,
    ]);
    this.stateValue = 'STOPPED';
    await this.stats.publish(false);
    await this.producer.disconnect();
    await this.progress?.close();
    await this.lagProbe.close();
    await this.d.code.close?.().catch(() => undefined);
    await this.d.reaper?.stop().catch(() => undefined);
    await this.d.executor.close();
  }
}
