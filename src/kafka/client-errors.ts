import kafkajs from 'kafkajs';
import { InfraError } from '../domain/infra-error.js';
import { kafkaSecurityFailureOf } from './kafka-security-failure.js';

// kafkajs is CommonJS; Node's ESM loader does not see its error classes as named exports.
const { KafkaJSConnectionError, KafkaJSError, KafkaJSNumberOfRetriesExceeded } = kafkajs;

/** No broker answered within the client's connection timeout and retries. */
export class BrokerUnreachableError extends InfraError {
  constructor(brokers: readonly string[] | null, cause: unknown) {
    const where = brokers && brokers.length > 0 ? brokers.join(',') : 'the configured brokers';
    super(`Kafka broker unreachable at ${where}`, { retriable: true, component: 'kafka', cause });
    this.name = 'BrokerUnreachableError';
  }
}

/**
 * The broker answered but refused the connection: SASL credentials rejected or the TLS handshake
 * failed (untrusted certificate, …). Not retriable: retrying with the same settings fails again.
 */
export class KafkaRefusedError extends InfraError {
  readonly kind: 'credentials' | 'tls';
  constructor(
    brokers: readonly string[] | null,
    failure: { kind: 'credentials' | 'tls'; text: string },
    cause: unknown,
  ) {
    const where = brokers && brokers.length > 0 ? brokers.join(',') : 'the configured brokers';
    super(`Kafka at ${where} ${failure.text}`, { retriable: false, component: 'kafka', cause });
    this.name = 'KafkaRefusedError';
    this.kind = failure.kind;
  }
}

function isConnectionFailure(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof KafkaJSConnectionError) return true;
    if (e.name === 'KafkaJSConnectionError' || e.name === 'KafkaJSBrokerNotFound') return true;
    if (/ECONNREFUSED|ETIMEDOUT|EHOSTUNREACH|Connection timeout|getaddrinfo/.test(e.message)) return true;
    if (e instanceof KafkaJSNumberOfRetriesExceeded) continue;
  }
  return false;
}

function isUnknownTopic(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if ((e as { type?: string }).type === 'UNKNOWN_TOPIC_OR_PARTITION') return true;
    if (/does not host this topic-partition/.test(e.message)) return true;
  }
  return false;
}

/**
 * Maps a KafkaJS failure of `what` (e.g. "publish to berth.tasks") to an `InfraError`; a refused
 * SASL login or TLS handshake becomes `KafkaRefusedError`, connection failures
 * `BrokerUnreachableError`. Anything that is not a KafkaJS error is returned as is.
 */
export function kafkaFailure(err: unknown, what: string, brokers: readonly string[] | null): unknown {
  if (err instanceof InfraError) return err;
  const refused = kafkaSecurityFailureOf(err);
  if (refused) return new KafkaRefusedError(brokers, refused, err);
  if (isConnectionFailure(err)) return new BrokerUnreachableError(brokers, err);
  if (isUnknownTopic(err)) {
    return new InfraError(
      `${what} failed: the topic does not exist (berth infra up creates Berth's topics; check BERTH_TOPIC_PREFIX)`,
      {
        retriable: false,
        component: 'kafka',
        cause: err,
      },
    );
  }
  if (err instanceof KafkaJSError) {
    return new InfraError(`${what} failed: ${err.message}`, {
      retriable: err.retriable,
      component: 'kafka',
      cause: err,
    });
  }
  return err;
}
