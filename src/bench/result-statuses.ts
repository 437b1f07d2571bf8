import { taskResultCodec } from '../codecs/task-result-codec.js';
import { scanTopic } from '../kafka/client-topic-scan.js';
import type { createKafka } from '../kafka/kafka-connection.js';

/** The status of an encoded TaskResult, or `undecodable`. */
export function resultStatusOf(value: Buffer | null): string {
  if (value === null) return 'undecodable';
  try {
    return taskResultCodec.decode(value).status;
  } catch {
    return 'undecodable';
  }
}

/** Results on `topic` per status (e.g. { SUCCEEDED: 1000000 }), read from its start to its end now. */
export async function countResultStatuses(
  kafka: ReturnType<typeof createKafka>,
  topic: string,
  timeoutMs: number,
): Promise<Record<string, number>> {
  const statuses: Record<string, number> = {};
  await scanTopic(
    kafka,
    topic,
    (r) => {
      const status = resultStatusOf(r.value);
      statuses[status] = (statuses[status] ?? 0) + 1;
    },
    { timeoutMs },
  );
  return statuses;
}
