import { type Codec, DecodeError } from '../codecs/codec.js';
import { scanTopic } from '../kafka/client-topic-scan.js';
import type { CliSession } from './cli-session.js';

/**
 * Every record on `topic` now whose key is `id`, decoded with `codec`, in topic order (per
 * partition). Records that are not of that type are skipped; a schema registry that cannot answer
 * is an error, not a skip. Reads the whole topic: for `berth task` and `berth logs` without a
 * console.
 */
export async function keyedRecords<T>(
  s: CliSession,
  topic: string,
  id: string,
  codec: Codec<T>,
): Promise<T[]> {
  const found: T[] = [];
  await scanTopic(
    s.kafka,
    topic,
    async (rec) => {
      if (!rec.value || rec.key?.toString() !== id) return;
      try {
        found.push(await codec.decodeAsync(rec.value));
      } catch (err) {
        if (!(err instanceof DecodeError)) throw err;
      }
    },
    { brokers: s.brokers },
  );
  return found;
}
