import kafkajs, { type Kafka } from 'kafkajs';
import { kafkaFailure } from './client-errors.js';

// kafkajs is CommonJS; Node's ESM loader does not see its enums as named exports.
const { ConfigResourceTypes } = kafkajs;

/** Kafka's built-in default for max.message.bytes. */
export const DEFAULT_MAX_MESSAGE_BYTES = 1_048_588;

/** Reads the effective `max.message.bytes` of `topic` (topic override or broker default). */
export async function topicMaxMessageBytes(
  kafka: Kafka,
  topic: string,
  brokers: readonly string[] | null,
): Promise<number> {
  const admin = kafka.admin({ retry: { retries: 2 } });
  try {
    await admin.connect();
    const res = await admin.describeConfigs({
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['max.message.bytes'] }],
      includeSynonyms: false,
    });
    const resource = res.resources[0];
    if (resource && resource.errorCode !== 0) {
      throw new Error(
        `describeConfigs ${topic}: ${resource.errorMessage || `error code ${resource.errorCode}`}`,
      );
    }
    const value = resource?.configEntries.find((e) => e.configName === 'max.message.bytes')?.configValue;
    const n = Number(value);
    return Number.isFinite(n) && n > 0 ? n : DEFAULT_MAX_MESSAGE_BYTES;
  } catch (err) {
    throw kafkaFailure(err, `reading the configuration of ${topic}`, brokers);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
