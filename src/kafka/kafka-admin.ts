import kafkajs, { type ITopicConfig, type Kafka } from 'kafkajs';
import { InfraError } from '../domain/infra-error.js';
import { topicNames } from './topic-names.js';

// kafkajs is CommonJS; Node's ESM loader does not see its enums as named exports.
const { ConfigResourceTypes } = kafkajs;

const DAY_MS = 24 * 60 * 60 * 1000;

export interface BerthTopicsOptions {
  /** Partitions of berth.tasks and of each lane's tasks topic (the unit of scale-out). */
  readonly tasksPartitions: number;
  /** Partitions of every other topic except code and control; default 3. */
  readonly otherPartitions?: number;
}

/**
 * The Berth topics with their configs: the tasks and retry topics of every priority lane, results,
 * metrics, dlq, code (compacted), control, progress, schedules and schedule-ticks (compacted, one
 * partition); results and dlq kept long, progress 1 day.
 */
export function berthTopicConfigs(prefix: string, opts: BerthTopicsOptions): ITopicConfig[] {
  const t = topicNames(prefix);
  const other = opts.otherPartitions ?? 3;
  const retention = (ms: number) => [{ name: 'retention.ms', value: String(ms) }];
  const compacted = [{ name: 'cleanup.policy', value: 'compact' }];
  return [
    ...[t.tasks, t.tasksHigh, t.tasksLow].map((topic) => ({
      topic,
      numPartitions: opts.tasksPartitions,
      replicationFactor: 1,
      configEntries: retention(7 * DAY_MS),
    })),
    {
      topic: t.results,
      numPartitions: other,
      replicationFactor: 1,
      // A result carries up to stdout + stderr + outputs at their caps (1 MiB each by default).
      configEntries: [
        ...retention(30 * DAY_MS),
        { name: 'max.message.bytes', value: String(8 * 1024 * 1024) },
      ],
    },
    { topic: t.metrics, numPartitions: 1, replicationFactor: 1, configEntries: retention(DAY_MS) },
    { topic: t.dlq, numPartitions: other, replicationFactor: 1, configEntries: retention(90 * DAY_MS) },
    ...[t.retry, t.retryHigh, t.retryLow].map((topic) => ({
      topic,
      numPartitions: other,
      replicationFactor: 1,
      configEntries: retention(7 * DAY_MS),
    })),
    {
      topic: t.code,
      numPartitions: 1,
      replicationFactor: 1,
      configEntries: [
        { name: 'cleanup.policy', value: 'compact' },
        { name: 'max.message.bytes', value: String(16 * 1024 * 1024) },
      ],
    },
    { topic: t.control, numPartitions: 1, replicationFactor: 1, configEntries: retention(DAY_MS) },
    // Live output and progress: short-lived, a record holds at most the per-task budget.
    {
      topic: t.progress,
      numPartitions: other,
      replicationFactor: 1,
      configEntries: [...retention(DAY_MS), { name: 'max.message.bytes', value: String(2 * 1024 * 1024) }],
    },
    // One partition each: its owner in the schedulers group is the one scheduler (docs/schedules.md).
    { topic: t.schedules, numPartitions: 1, replicationFactor: 1, configEntries: compacted },
    { topic: t.scheduleTicks, numPartitions: 1, replicationFactor: 1, configEntries: compacted },
  ];
}

/**
 * Creates whichever of the Berth topics are missing (existing ones are left as they are)
 * and waits for their leaders. Throws a retriable `InfraError` when the broker does not answer.
 */
export async function ensureBerthTopics(
  kafka: Kafka,
  prefix: string,
  opts: BerthTopicsOptions,
): Promise<string[]> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    const existing = new Set(await admin.listTopics());
    const missing = berthTopicConfigs(prefix, opts).filter((c) => !existing.has(c.topic));
    if (missing.length > 0) await admin.createTopics({ topics: missing, waitForLeaders: true });
    return missing.map((c) => c.topic);
  } catch (err) {
    throw new InfraError(`cannot create topics for prefix '${prefix}': ${(err as Error).message}`, {
      retriable: true,
      component: 'kafka',
      cause: err,
    });
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** Short form for tests and scripts. */
export function ensureTopics(kafka: Kafka, prefix: string, tasksPartitions: number): Promise<string[]> {
  return ensureBerthTopics(kafka, prefix, { tasksPartitions });
}

/** Deletes the Berth topics of `prefix` that exist (test cleanup). */
export async function deleteBerthTopics(kafka: Kafka, prefix: string): Promise<void> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    const existing = new Set(await admin.listTopics());
    const topics = Object.values(topicNames(prefix)).filter((t) => existing.has(t));
    if (topics.length > 0) await admin.deleteTopics({ topics });
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * The configs of `topics` that differ from the values Berth creates them with (`berthTopicConfigs`),
 * as `topic key=actual (want expected)` lines; empty when all match. Topics that do not exist are
 * reported as missing. Lets `berth infra topics` say when an existing topic was made elsewhere
 * with other settings (it never alters them).
 */
export async function berthTopicDrift(
  kafka: Kafka,
  prefix: string,
  opts: BerthTopicsOptions,
): Promise<string[]> {
  const wanted = berthTopicConfigs(prefix, opts);
  const admin = kafka.admin();
  try {
    await admin.connect();
    const existing = new Set(await admin.listTopics());
    const present = wanted.filter((c) => existing.has(c.topic));
    const drift = wanted.filter((c) => !existing.has(c.topic)).map((c) => `${c.topic} missing`);
    if (present.length === 0) return drift;
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: present.map((c) => ({ type: ConfigResourceTypes.TOPIC, name: c.topic })),
    });
    const metadata = await admin.fetchTopicMetadata({ topics: present.map((c) => c.topic) });
    for (const c of present) {
      const actual = described.resources.find((r) => r.resourceName === c.topic)?.configEntries ?? [];
      for (const e of c.configEntries ?? []) {
        const value = actual.find((a) => a.configName === e.name)?.configValue;
        if (value !== e.value) drift.push(`${c.topic} ${e.name}=${value ?? '?'} (want ${e.value})`);
      }
      const partitions = metadata.topics.find((t) => t.name === c.topic)?.partitions.length ?? 0;
      const want = c.numPartitions ?? 1;
      if (partitions !== want) drift.push(`${c.topic} partitions=${partitions} (want ${want})`);
    }
    return drift;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
