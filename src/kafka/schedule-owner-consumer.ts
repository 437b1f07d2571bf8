import type { Admin, Consumer, Kafka } from 'kafkajs';
import { InfraError } from '../domain/infra-error.js';

/** What the owner consumer reports; listeners must not throw. */
export interface ScheduleOwnerListener {
  /** This member now owns partition 0 (true), or does not / may be losing it (false). */
  ownership(owned: boolean): void;
  /** One record of the schedules topic, in offset order, only while owning. */
  record(key: string | null, value: Buffer | null): void;
  /** Since the last `ownership(true)`, every record up to the topic's end at that moment was passed. */
  caughtUp(): void;
}

export interface ScheduleOwnerConsumerOptions {
  readonly kafka: Kafka;
  /** The single-partition schedules topic. */
  readonly topic: string;
  /** The group every worker joins (`<prefix>-schedulers`). */
  readonly groupId: string;
  readonly sessionTimeoutMs: number;
  readonly listener: ScheduleOwnerListener;
  readonly log: (line: string) => void;
  /** The consumer crashed and KafkaJS will not restart it: this instance is done. */
  readonly onFatal?: (err: Error) => void;
}

/**
 * Membership in the schedulers group on the one-partition schedules topic: the group coordinator
 * assigns partition 0 to exactly one live member, and that member is the scheduler. Contract: never
 * commits offsets, so every (re)assignment reads the topic from its start (KafkaJS starts a
 * partition without a committed offset at the earliest offset when `fromBeginning`); ownership is
 * withdrawn on REBALANCING, before the coordinator can give the partition to someone else, and
 * granted again on GROUP_JOIN; `sessionAlive` tells whether a heartbeat was answered recently.
 */
export class ScheduleOwnerConsumer {
  private readonly consumer: Consumer;
  private readonly admin: Admin;
  private owned = false;
  private joinCount = 0;
  /** While catching up after a join: the end offset to reach (null: not known yet). */
  private catchUpEnd: bigint | null = null;
  private catchingUp = false;
  private nextOffset = 0n;
  private lastSessionProofMs = 0;

  constructor(private readonly o: ScheduleOwnerConsumerOptions) {
    this.consumer = o.kafka.consumer({
      groupId: o.groupId,
      sessionTimeout: o.sessionTimeoutMs,
      heartbeatInterval: Math.min(3000, Math.floor(o.sessionTimeoutMs / 3)),
      maxWaitTimeInMs: 500,
      allowAutoTopicCreation: false,
      retry: { retries: 10 },
    });
    this.admin = o.kafka.admin();
    const events = this.consumer.events;
    this.consumer.on(events.HEARTBEAT, () => {
      this.lastSessionProofMs = Date.now();
    });
    this.consumer.on(events.REBALANCING, () => this.setOwned(false));
    this.consumer.on(events.GROUP_JOIN, (e) => {
      this.lastSessionProofMs = Date.now();
      const owns = (e.payload.memberAssignment[o.topic] ?? []).includes(0);
      this.setOwned(false);
      if (owns) void this.startCatchUp(++this.joinCount);
    });
    this.consumer.on(events.CRASH, (e) => {
      o.log(`schedulers consumer crashed: ${e.payload.error.message} (restart: ${e.payload.restart})`);
      this.setOwned(false);
      if (!e.payload.restart) o.onFatal?.(e.payload.error);
    });
  }

  async start(): Promise<void> {
    try {
      await this.admin.connect();
      await this.consumer.connect();
      await this.consumer.subscribe({ topic: this.o.topic, fromBeginning: true });
      await this.consumer.run({
        autoCommit: false,
        eachMessage: async ({ partition, message }) => {
          if (partition !== 0 || !this.owned) return;
          this.o.listener.record(message.key?.toString('utf8') ?? null, message.value);
          this.nextOffset = BigInt(message.offset) + 1n;
          this.checkCaughtUp();
        },
      });
    } catch (err) {
      throw new InfraError(`cannot join the schedulers group on ${this.o.topic}: ${(err as Error).message}`, {
        retriable: true,
        component: 'kafka',
        cause: err,
      });
    }
  }

  /** Whether the coordinator answered a heartbeat (or join) within `maxAgeMs`. */
  sessionAlive(maxAgeMs: number): boolean {
    return this.owned && Date.now() - this.lastSessionProofMs <= maxAgeMs;
  }

  /** Leaves the group (the partition moves to another member at once). Idempotent. */
  async stop(): Promise<void> {
    this.setOwned(false);
    await this.consumer.disconnect().catch(() => undefined);
    await this.admin.disconnect().catch(() => undefined);
  }

  private setOwned(owned: boolean): void {
    const was = this.owned;
    this.owned = owned;
    if (!owned) this.catchingUp = false;
    if (was !== owned) this.o.listener.ownership(owned);
  }

  private async startCatchUp(join: number): Promise<void> {
    this.nextOffset = 0n;
    this.catchUpEnd = null;
    this.catchingUp = true;
    this.setOwned(true);
    for (let attempt = 1; join === this.joinCount && this.owned; attempt++) {
      try {
        const offsets = await this.admin.fetchTopicOffsets(this.o.topic);
        if (join !== this.joinCount) return;
        this.catchUpEnd = BigInt(offsets.find((p) => p.partition === 0)?.high ?? '0');
        this.checkCaughtUp();
        return;
      } catch (err) {
        this.o.log(
          `schedulers: cannot read the end of ${this.o.topic} (${(err as Error).message}); retrying`,
        );
        await new Promise((resolve) => setTimeout(resolve, Math.min(5000, 500 * attempt)));
      }
    }
  }

  private checkCaughtUp(): void {
    if (!this.catchingUp || this.catchUpEnd === null || this.nextOffset < this.catchUpEnd) return;
    this.catchingUp = false;
    this.o.listener.caughtUp();
  }
}
