import type { Kafka } from 'kafkajs';
import type { Codec } from '../codecs/codec.js';
import { scheduleCodec } from '../codecs/schedule-codec.js';
import { scheduleTickCodec } from '../codecs/schedule-tick-codec.js';
import { taskEventCodec } from '../codecs/task-event-codec.js';
import { laneOfPriority } from '../domain/priority-lane.js';
import type { TaskEvent } from '../domain/task-event.js';
import { scanTopic } from '../kafka/client-topic-scan.js';
import { RecordProducer } from '../kafka/record-producer.js';
import { ScheduleOwnerConsumer } from '../kafka/schedule-owner-consumer.js';
import { laneTopics, schedulerGroupId, type TopicNames } from '../kafka/topic-names.js';
import type { Schedule, ScheduleTick } from './schedule.js';
import { ScheduleFirer } from './schedule-firer.js';

/** How recent a heartbeat answer must be, as a share of the session timeout, for the owner to fire. */
const SESSION_PROOF_SHARE = 2 / 3;
/** Longest the loop sleeps: bounds how late a clock jump or a lost wake-up is noticed. */
const MAX_SLEEP_MS = 1000;
/** How often a worker looks again for a schedules topic that does not exist yet. */
const TOPIC_POLL_MS = 30_000;
/** Pause before a crashed group member is replaced. */
const RESTART_DELAY_MS = 5000;
/** Longest `stop()` waits for the loop (e.g. a join retrying against an unreachable broker). */
const STOP_WAIT_MS = 5000;

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

export interface ScheduleServiceOptions {
  readonly kafka: Kafka;
  readonly topics: TopicNames;
  readonly topicPrefix: string;
  readonly workerId: string;
  readonly sessionTimeoutMs: number;
  readonly log: (line: string) => void;
  readonly codecs?: {
    readonly schedule: Codec<Schedule>;
    readonly tick: Codec<ScheduleTick>;
    readonly event: Codec<TaskEvent>;
  };
}

/**
 * A worker's part in scheduling: joins the schedulers group on `<prefix>.schedules` and, while it
 * owns the topic's one partition, fires due ticks as TaskEvents on the tasks topic
 * (docs/schedules.md). Contract: `start()` returns at once and never fails the worker — a missing
 * schedules topic or an unreachable broker is logged and retried in the background; `stop()`
 * leaves the group (so another worker takes over within a rebalance) and is idempotent.
 */
export class ScheduleService {
  readonly name = 'schedules';
  private readonly firer: ScheduleFirer;
  private readonly producer: RecordProducer;
  private owner: ScheduleOwnerConsumer;
  private readonly codecs: NonNullable<ScheduleServiceOptions['codecs']>;
  private stopped = false;
  private wake: () => void = () => undefined;
  private running: Promise<void> | null = null;
  private applying: Promise<void> = Promise.resolve();
  private producerConnected: Promise<void> | null = null;
  /** Bumped on every ownership change: records queued under an older one are dropped. */
  private ownershipEpoch = 0;

  constructor(private readonly o: ScheduleServiceOptions) {
    this.codecs = o.codecs ?? { schedule: scheduleCodec, tick: scheduleTickCodec, event: taskEventCodec };
    this.producer = new RecordProducer(o.kafka);
    this.owner = this.createOwner();
    this.firer = new ScheduleFirer({
      workerId: o.workerId,
      log: o.log,
      ports: {
        publishTask: async (event) => {
          await this.producerReady();
          // The tasks topic of the task's priority lane, as every producer does.
          await this.producer.send(laneTopics(o.topics, laneOfPriority(event.priority)).tasks, [
            { key: event.id, value: this.codecs.event.encode(event), headers: {} },
          ]);
        },
        recordTick: async (tick) => {
          await this.producerReady();
          await this.producer.send(o.topics.scheduleTicks, [
            { key: tick.name, value: this.codecs.tick.encode(tick), headers: {} },
          ]);
        },
        loadTicks: () => this.loadTicks(),
        stillOwner: () => this.owner.sessionAlive(o.sessionTimeoutMs * SESSION_PROOF_SHARE),
      },
    });
    this.firer.onChange(() => this.wake());
  }

  private createOwner(): ScheduleOwnerConsumer {
    return new ScheduleOwnerConsumer({
      kafka: this.o.kafka,
      topic: this.o.topics.schedules,
      groupId: schedulerGroupId(this.o.topicPrefix),
      sessionTimeoutMs: this.o.sessionTimeoutMs,
      log: this.o.log,
      onFatal: (err) => void this.restartOwner(err),
      listener: {
        ownership: (owned) => {
          this.ownershipEpoch += 1;
          if (owned) void this.firer.ownershipGained();
          else this.firer.ownershipLost();
        },
        // Decoding may wait for the schema registry: records are applied strictly in order, and
        // "caught up" only after the records before it.
        record: (key, value) => this.inOrder(() => this.onRecord(key, value)),
        caughtUp: () => this.inOrder(async () => this.firer.recordsCaughtUpNow()),
      },
    });
  }

  /** A consumer KafkaJS gave up on is replaced by a new member after a pause. */
  private async restartOwner(err: Error): Promise<void> {
    this.o.log(`schedules: group membership lost for good (${err.message}); rejoining in 5 s`);
    await this.owner.stop();
    await delay(RESTART_DELAY_MS);
    if (this.stopped) return;
    this.owner = this.createOwner();
    try {
      await this.owner.start();
    } catch (e) {
      await this.restartOwner(e as Error);
    }
  }

  /** The firer, for status and tests. */
  get state(): ScheduleFirer['state'] {
    return this.firer.state;
  }

  start(): Promise<void> {
    this.running ??= this.run();
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.firer.stop();
    this.wake();
    await this.owner.stop();
    // A join still retrying against an unreachable broker must not hold the worker's shutdown.
    await Promise.race([this.running?.catch(() => undefined), delay(STOP_WAIT_MS)]);
    await this.producer.disconnect();
  }

  private async run(): Promise<void> {
    if (!(await this.join())) return;
    while (!this.stopped) {
      let next: number | null = null;
      try {
        next = await this.firer.fireDue();
      } catch (err) {
        this.o.log(`schedules: firing failed: ${(err as Error).message}`);
      }
      const waitMs = next === null ? MAX_SLEEP_MS : Math.min(MAX_SLEEP_MS, Math.max(0, next - Date.now()));
      await this.sleep(waitMs);
    }
  }

  /** Connects and joins the group, retrying until it works or the service stops. */
  private async join(): Promise<boolean> {
    let warned = false;
    while (!this.stopped) {
      try {
        if (await this.topicExists()) {
          await this.owner.start();
          if (this.stopped) await this.owner.stop();
          return !this.stopped;
        }
        if (!warned) {
          this.o.log(
            `schedules: topic ${this.o.topics.schedules} does not exist; no schedules fire from this worker until it does (berth infra topics creates it)`,
          );
          warned = true;
        }
      } catch (err) {
        this.o.log(`schedules: ${(err as Error).message}; retrying`);
      }
      await this.sleep(TOPIC_POLL_MS);
    }
    return false;
  }

  private async topicExists(): Promise<boolean> {
    const admin = this.o.kafka.admin();
    try {
      await admin.connect();
      const topics = await admin.listTopics();
      return topics.includes(this.o.topics.schedules) && topics.includes(this.o.topics.scheduleTicks);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  /** Connects the producer on first use: only the scheduler ever produces. */
  private producerReady(): Promise<void> {
    this.producerConnected ??= this.producer.connect().catch((err: unknown) => {
      this.producerConnected = null;
      throw err;
    });
    return this.producerConnected;
  }

  /** Runs `step` after the steps queued before it, unless ownership changed since it was queued. */
  private inOrder(step: () => Promise<void>): void {
    const epoch = this.ownershipEpoch;
    const guarded = () => (epoch === this.ownershipEpoch ? step() : Promise.resolve());
    this.applying = this.applying.then(guarded).catch((err: unknown) => {
      this.o.log(`schedules: ${(err as Error).message}`);
    });
  }

  private async onRecord(key: string | null, value: Buffer | null): Promise<void> {
    if (key === null) return;
    if (value === null) {
      this.firer.apply(key, null);
      return;
    }
    try {
      const schedule = await this.codecs.schedule.decodeAsync(value);
      if (schedule.name !== key)
        throw new Error(`record key '${key}' differs from its name '${schedule.name}'`);
      this.firer.apply(key, schedule);
    } catch (err) {
      this.o.log(`schedules: ignoring schedule record '${key}': ${(err as Error).message}`);
    }
  }

  private async loadTicks(): Promise<Map<string, number>> {
    const ticks = new Map<string, number>();
    await scanTopic(
      this.o.kafka,
      this.o.topics.scheduleTicks,
      async (r) => {
        if (r.key === null) return;
        const name = r.key.toString('utf8');
        if (r.value === null) {
          ticks.delete(name);
          return;
        }
        try {
          const tick = await this.codecs.tick.decodeAsync(r.value);
          ticks.set(name, Math.max(tick.tickMs, ticks.get(name) ?? 0));
        } catch (err) {
          this.o.log(`schedules: ignoring tick record '${name}': ${(err as Error).message}`);
        }
      },
      { timeoutMs: 30_000 },
    );
    return ticks;
  }

  /** Sleeps up to `ms`; `wake()` (a change, or stop) ends it early. */
  private sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}
