import { taskResultCodec } from '../codecs/task-result-codec.js';
import type { TaskResult } from '../domain/task-result.js';
import type { KafkaInstance } from '../kafka/client-kafka.js';
import { scanTopic } from '../kafka/client-topic-scan.js';

/**
 * Where the client looks up results that were already published (`getResult`, `waitForResult`).
 * Contract: `resultsFor` resolves with every result recorded for `taskId` that was published before
 * the call (later ones may be included), in any order, `[]` when there is none; aborting `signal`
 * rejects with its reason and releases what the lookup holds. Today a scan of the results topic;
 * a results store can take its place without changing the client.
 */
export interface ResultSource {
  resultsFor(taskId: string, opts?: { readonly signal?: AbortSignal }): Promise<TaskResult[]>;
}

/**
 * The results topic read from its start by a throwaway consumer, keeping the records keyed by the
 * task id. Costs a read of the whole topic (within its retention): fine for occasional lookups.
 */
export class TopicScanResultSource implements ResultSource {
  constructor(
    private readonly kafka: KafkaInstance,
    private readonly topic: string,
    private readonly brokers: readonly string[] | undefined,
  ) {}

  async resultsFor(taskId: string, opts: { readonly signal?: AbortSignal } = {}): Promise<TaskResult[]> {
    const found: TaskResult[] = [];
    await scanTopic(
      this.kafka,
      this.topic,
      (rec) => {
        if (!rec.value || rec.key?.toString() !== taskId) return;
        try {
          found.push(taskResultCodec.decode(rec.value));
        } catch {
          // Not a TaskResult: skipped, like any consumer of the topic would.
        }
      },
      { brokers: this.brokers, signal: opts.signal },
    );
    return found;
  }
}

/** The result that ends a task among several records: the highest attempt, then the latest. */
export function finalResult(results: readonly TaskResult[]): TaskResult | null {
  let best: TaskResult | null = null;
  for (const r of results) {
    if (
      !best ||
      r.attempt > best.attempt ||
      (r.attempt === best.attempt && r.finishedAtMs > best.finishedAtMs)
    )
      best = r;
  }
  return best;
}
