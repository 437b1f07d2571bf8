import { type ParseArgsConfig, parseArgs } from 'node:util';
import { BerthClient } from '../client/berth-client.js';
import { PayloadTooLargeError } from '../client/client-errors.js';
import { enableSchemaRegistryFromEnv } from '../codecs/schema-registry.js';
import { type KafkaSecurityConfig, kafkaSecurityFromEnv } from '../config/kafka-security-config.js';
import { InfraError } from '../domain/infra-error.js';
import { type BrokerCheck, brokerFailureLine, checkBroker } from '../kafka/broker-probe.js';
import { BrokerUnreachableError } from '../kafka/client-errors.js';
import { createClientKafka, type KafkaInstance } from '../kafka/client-kafka.js';
import { brokersFromEnv } from '../kafka/kafka-connection.js';
import { type TopicNames, topicNames } from '../kafka/topic-names.js';
import { withRetry } from '../resilience/retry.js';
import { UsageError } from './command.js';

/**
 * Exit codes of the producer-facing commands (submit, results, task, cancel, status, code):
 * 0 ok; 1 the operation failed; 2 usage error (bad flag, bad JSON, invalid manifest, bad TLS/SASL
 * setting); 3 no Kafka broker reachable, or it refused the credentials or TLS handshake. Commands
 * that wait for a task (run, submit --wait) use `TASK_EXIT` instead.
 */
export const EXIT = Object.freeze({ ok: 0, failed: 1, usage: 2, unreachable: 3 });

/** What a producer-side command needs: brokers and topics from the environment, one Kafka client. */
export interface CliSession {
  readonly brokers: readonly string[];
  /** TLS and SASL from the `BERTH_KAFKA_SSL*` / `BERTH_KAFKA_SASL_*` variables (and flags). */
  readonly security: KafkaSecurityConfig;
  readonly topicPrefix: string;
  readonly topics: TopicNames;
  readonly kafka: KafkaInstance;
  client(): BerthClient;
  /** One progress line on stderr. */
  progress(line: string): void;
}

/** What a command sets on its session's client beyond the environment. */
export interface SessionOptions {
  /** The client's payload cap (`--payload-cap-bytes`); default: the worker's default cap. */
  readonly payloadCapBytes?: number;
}

/**
 * Runs `fn` with a session built from BERTH_KAFKA_BROKERS and BERTH_TOPIC_PREFIX, closing what it
 * opened. An unreachable broker becomes a one-line error with exit code 3, a payload over the
 * client's cap one with exit code 2.
 */
export async function withSession(
  command: string,
  fn: (s: CliSession) => Promise<number>,
  opts: SessionOptions = {},
): Promise<number> {
  const brokers = brokersFromEnv();
  const security = securityFromEnv();
  const topicPrefix = process.env.BERTH_TOPIC_PREFIX ?? 'berth';
  const topics = topicNames(topicPrefix);
  const kafka = createClientKafka(brokers, `berth-cli-${command}`, 1500, security);
  let client: BerthClient | null = null;
  const session: CliSession = {
    brokers,
    security,
    topicPrefix,
    topics,
    kafka,
    client: () => {
      client ??= new BerthClient({
        kafka,
        topicPrefix,
        payloadCapBytes: opts.payloadCapBytes,
      });
      return client;
    },
    progress: (line) => process.stderr.write(`berth ${command}: ${line}\n`),
  };
  for (const warning of security.warnings) session.progress(`warning: ${warning}`);
  try {
    await preflight(brokers, security);
    await enableSchemaRegistryFromEnv({ topicPrefix: process.env.BERTH_TOPIC_PREFIX ?? 'berth' });
    return await fn(session);
  } catch (err) {
    if (err instanceof BrokerUnreachableError) throw unreachable(brokers);
    // Commands check the cap before connecting; this is the client's own check as a usage error.
    if (err instanceof PayloadTooLargeError) throw new UsageError(err.message, EXIT.usage);
    throw err;
  } finally {
    await (client as BerthClient | null)?.close();
  }
}

function unreachable(brokers: readonly string[]): UsageError {
  return new UsageError(
    `Kafka broker unreachable at ${brokers.join(',')} (is it running? berth infra status)`,
    EXIT.unreachable,
  );
}

function securityFromEnv(): KafkaSecurityConfig {
  try {
    return kafkaSecurityFromEnv();
  } catch (err) {
    if (err instanceof InfraError) throw new UsageError(err.message, EXIT.usage);
    throw err;
  }
}

/**
 * Fails fast (about 3 s at most) when no broker answers, instead of waiting out client retries;
 * a broker that refuses the credentials or the TLS handshake is reported at once, in one line.
 */
async function preflight(brokers: readonly string[], security: KafkaSecurityConfig): Promise<void> {
  const check = await withRetry(
    async (): Promise<BrokerCheck> => {
      const c = await checkBroker(brokers, { createTopic: false, timeoutMs: 1200, security });
      if (!c.ok && c.kind === 'unreachable') throw new BrokerUnreachableError(brokers, null);
      return c;
    },
    { attempts: 2, baseDelayMs: 300, maxDelayMs: 300 },
  ).catch(() => null);
  if (check === null) throw unreachable(brokers);
  if (!check.ok) throw new UsageError(brokerFailureLine(check, brokers), EXIT.unreachable);
}

/** Parses repeated `KEY=VALUE` flags into a record. */
export function parsePairs(values: readonly string[] | undefined, flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values ?? []) {
    const eq = v.indexOf('=');
    if (eq <= 0) throw new UsageError(`--${flag}: expected KEY=VALUE, got '${v}'`);
    out[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return out;
}

type FlagOptions = NonNullable<ParseArgsConfig['options']>;
type ParsedFlags<T extends FlagOptions> = ReturnType<
  typeof parseArgs<{ args: string[]; options: T; allowPositionals: true; strict: true }>
>;

/** `node:util` parseArgs whose errors (unknown flag, missing value) become one-line usage errors. */
export function parseFlags<T extends FlagOptions>(argv: readonly string[], options: T): ParsedFlags<T> {
  try {
    return parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(`${(err as Error).message.split('\n')[0]} (--help lists the options)`);
  }
}
