import type { Kafka } from 'kafkajs';
import type { KafkaSecurityConfig } from '../config/kafka-security-config.js';
import { createKafka } from './kafka-connection.js';

/** A KafkaJS instance, for callers outside `src/kafka` that pass their own. */
export type KafkaInstance = Kafka;

/**
 * The Kafka client for producer-side tools: short connection timeout so an unreachable broker is
 * reported within seconds.
 */
export function createClientKafka(
  brokers: readonly string[],
  clientId = 'berth-client',
  connectionTimeoutMs = 1500,
  security?: KafkaSecurityConfig,
): Kafka {
  return createKafka({ brokers, clientId, connectionTimeoutMs, security });
}
