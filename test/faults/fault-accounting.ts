import { execFileSync } from 'node:child_process';
import { taskResultCodec } from '../../src/codecs/task-result-codec.js';
import { workerGroupId } from '../../src/kafka/topic-names.js';
import type { WorkerHarness } from '../integration/worker-harness.js';

/** One row of the fault table. */
export interface FaultRow {
  readonly scenario: string;
  /** Records produced (tasks and malformed ones). */
  readonly records: number;
  /** Records with neither a result nor a dead letter. */
  readonly lost: number;
  /** Results beyond the first for the same (id, attempt). */
  readonly duplicates: number;
  /** (id, attempt) pairs with results that disagree on the status. */
  readonly conflicting: number;
  /** Containers of the run left on the engine once every worker stopped. */
  readonly orphans: number;
  /** Partitions whose committed offset did not reach the log end. */
  readonly stuckPartitions: number;
  readonly notes: string;
}

/** Ids of tasks and keys of raw records that must each end in a result or a dead letter. */
export interface Expected {
  readonly taskIds: readonly string[];
  /** Keys of records that can only end in the DLQ (malformed). */
  readonly deadLetterKeys?: readonly string[];
}

/** What a scenario saw on the results topic and the DLQ (the harness's followers, or a re-read). */
export type Seen = Pick<WorkerHarness, 'results' | 'dlq'>;

/** What happened to the expected records. */
export function account(h: Seen, expected: Expected): Pick<FaultRow, 'lost' | 'duplicates' | 'conflicting'> {
  const byKey = new Map<string, string[]>();
  for (const { result } of h.results) {
    const k = `${result.id}#${result.attempt}`;
    byKey.set(k, [...(byKey.get(k) ?? []), result.status]);
  }
  let duplicates = 0;
  let conflicting = 0;
  for (const statuses of byKey.values()) {
    duplicates += statuses.length - 1;
    if (new Set(statuses).size > 1) conflicting++;
  }
  const resulted = new Set(h.results.map((r) => r.result.id));
  const dead = new Set(h.dlq.map((d) => d.key?.toString() ?? ''));
  const lost =
    expected.taskIds.filter((id) => !resulted.has(id) && !dead.has(id)).length +
    (expected.deadLetterKeys ?? []).filter((k) => !dead.has(k) && !resulted.has(k)).length;
  return { lost, duplicates, conflicting };
}

/** Whether every expected record has ended (result or dead letter). */
export function allEnded(h: Seen, expected: Expected): boolean {
  return account(h, expected).lost === 0;
}

/**
 * Reads the results and DLQ topics from the beginning with consumers of their own, until nothing
 * new arrives for `quietMs`: what is on the topics, whatever happened to the harness's followers
 * (a follower whose connection a fault cut may stall; the topics are the truth).
 */
export async function reread(h: WorkerHarness, quietMs = 4000): Promise<Seen> {
  const seen: Seen = { results: [], dlq: [] };
  const consumers = await Promise.all(
    [h.topics.results, h.topics.dlq].map(async (topic) => {
      const c = h.kafka.consumer({
        groupId: `${h.prefix}-reread-${topic}-${Date.now()}`,
        maxWaitTimeInMs: 200,
      });
      await c.connect();
      await c.subscribe({ topic, fromBeginning: true });
      await c.run({
        eachMessage: async ({ message }) => {
          if (topic === h.topics.results)
            seen.results.push({
              result: taskResultCodec.decode(message.value as Buffer),
              key: String(message.key),
            });
          else seen.dlq.push({ key: message.key, value: message.value, headers: {} });
        },
      });
      return c;
    }),
  );
  let last = -1;
  while (seen.results.length + seen.dlq.length !== last) {
    last = seen.results.length + seen.dlq.length;
    await new Promise((r) => setTimeout(r, quietMs));
  }
  await Promise.all(consumers.map((c) => c.disconnect()));
  return seen;
}

/** Partitions of the tasks topic whose committed offset is not the log end (after quiescence). */
export async function stuckPartitions(h: WorkerHarness, waitMs = 20_000): Promise<number> {
  const admin = h.kafka.admin();
  await admin.connect();
  try {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const ends = await admin.fetchTopicOffsets(h.topics.tasks);
      const [committed] = await admin.fetchOffsets({
        groupId: workerGroupId(h.prefix),
        topics: [h.topics.tasks],
      });
      const stuck = ends.filter((e) => {
        const c = committed?.partitions.find((p) => p.partition === e.partition)?.offset ?? '-1';
        return e.high !== '0' && c !== e.high;
      }).length;
      if (stuck === 0 || Date.now() > deadline) return stuck;
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    await admin.disconnect();
  }
}

/** Containers carrying the run's labels that are still on the engine. */
export function orphanContainers(h: WorkerHarness): number {
  const filters = Object.entries(h.labels).flatMap(([k, v]) => ['--filter', `label=${k}=${v}`]);
  const out = execFileSync('docker', ['ps', '-aq', ...filters])
    .toString()
    .trim();
  return out === '' ? 0 : out.split('\n').length;
}

/** Prints the rows as one table. */
export function printTable(rows: readonly FaultRow[]): string {
  const head = ['scenario', 'records', 'lost', 'dup', 'conflicting', 'orphans', 'stuck', 'notes'];
  const lines = rows.map((r) => [
    r.scenario,
    String(r.records),
    String(r.lost),
    String(r.duplicates),
    String(r.conflicting),
    String(r.orphans),
    String(r.stuckPartitions),
    r.notes,
  ]);
  const widths = head.map((h0, i) => Math.max(h0.length, ...lines.map((l) => (l[i] ?? '').length)));
  const fmt = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [fmt(head), fmt(widths.map((w) => '-'.repeat(w))), ...lines.map(fmt)].join('\n');
}
