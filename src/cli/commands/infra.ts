import { parseArgs } from 'node:util';
import { type InfraConfig, loadInfraConfig } from '../../config/infra-config.js';
import { describeStatus, infraDown, infraStatus, infraUp } from '../../infra/infra-manager.js';
import { berthTopicDrift, ensureBerthTopics } from '../../kafka/kafka-admin.js';
import { brokersFromEnv, createKafka } from '../../kafka/kafka-connection.js';
import { withRetry } from '../../resilience/retry.js';
import { type Command, UsageError } from '../command.js';

const help = `usage: berth infra up | down | status [--json]
       berth infra topics [--brokers H:P,..] [--prefix P] [--tasks-partitions N] [--wait-ms MS]

  up      install and start what Berth needs, idempotently: a Docker engine (Debian's docker.io,
          dockerd with runc) and a single-node Kafka broker (KRaft, jars from Maven Central cached
          in BERTH_CACHE_DIR), then create Berth's topics. Services already answering are used as is.
  down    stop only what 'up' started (by pid file)
  status  what runs, where, and versions (exit 1 when something is down)
  topics  create Berth's topics on any cluster (the same names, partitions and configs as
          'up'; existing topics are left as they are and any difference is printed), waiting up
          to --wait-ms (default 120000) for the brokers to answer. Idempotent; exit 1 when the
          brokers never answered. Brokers: --brokers or BERTH_KAFKA_BROKERS (127.0.0.1:9092).

environment:
  BERTH_STATE_DIR (~/.berth: pid files, logs, broker data; created when missing)
  BERTH_CACHE_DIR (~/.cache/berth: Kafka jars and the Maven repository that fetched them)
  BERTH_KAFKA_PORT (9092)
  BERTH_KAFKA_CONTROLLER_PORT (port+1)  BERTH_KAFKA_VERSION (4.4.0)  BERTH_KAFKA_HEAP_MB (512)
  BERTH_TOPIC_PREFIX (berth)  BERTH_TASKS_PARTITIONS (6)  DOCKER_HOST (unix:///var/run/docker.sock)
  BERTH_KAFKA_SSL*, BERTH_KAFKA_SASL_* (or --kafka-* flags): TLS/SASL towards a secured broker
  already on the port (status, topic creation); the broker 'up' starts is plaintext on loopback`;

const log = (line: string) => console.error(`berth infra: ${line}`);

const infra: Command = {
  name: 'infra',
  summary: 'bring the local Kafka broker and Docker engine up or down, or show their status',
  help,
  async run(argv) {
    const [action, ...rest] = argv;
    let config: ReturnType<typeof loadInfraConfig>;
    try {
      config = loadInfraConfig();
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const started = Date.now();
    switch (action) {
      case 'up': {
        const s = await infraUp(config, log);
        for (const line of describeStatus(s)) console.log(line);
        log(`up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
        return 0;
      }
      case 'down':
        await infraDown(config, log);
        return 0;
      case 'status': {
        const s = await infraStatus(config);
        if (rest.includes('--json')) console.log(JSON.stringify(s, null, 2));
        else for (const line of describeStatus(s)) console.log(line);
        return s.docker.kind !== 'down' && (s.kafka.kind === 'managed' || s.kafka.kind === 'external')
          ? 0
          : 1;
      }
      case 'topics':
        return topics(config, rest);
      default:
        throw new UsageError(`expected up, down, status or topics, got '${action ?? ''}'`);
    }
  },
};

export default infra;

/**
 * `berth infra topics`: the topic creation of `infra up` against an arbitrary broker list and
 * prefix (compose's init service runs it). Retries while the brokers do not answer, up to the
 * wait; prints what it created and any existing topic whose configs differ from Berth's.
 */
async function topics(config: InfraConfig, argv: readonly string[]): Promise<number> {
  let values: { brokers?: string; prefix?: string; 'tasks-partitions'?: string; 'wait-ms'?: string };
  try {
    values = parseArgs({
      args: [...argv],
      options: {
        brokers: { type: 'string' },
        prefix: { type: 'string' },
        'tasks-partitions': { type: 'string' },
        'wait-ms': { type: 'string' },
      },
      strict: true,
    }).values;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const brokers = brokersFromEnv(
    values.brokers === undefined ? process.env : { BERTH_KAFKA_BROKERS: values.brokers },
  );
  const prefix = values.prefix ?? config.topicPrefix;
  const tasksPartitions = positiveInt(
    '--tasks-partitions',
    values['tasks-partitions'],
    config.tasksPartitions,
  );
  const waitMs = positiveInt('--wait-ms', values['wait-ms'], 120_000);
  if (!/^[A-Za-z0-9._-]{1,200}$/.test(prefix)) throw new UsageError(`invalid topic prefix '${prefix}'`);
  const kafka = createKafka({ brokers, clientId: 'berth-infra-topics' });
  const deadline = AbortSignal.timeout(waitMs);
  const opts = { tasksPartitions };
  let created: string[];
  try {
    created = await withRetry(() => ensureBerthTopics(kafka, prefix, opts), {
      attempts: Number.POSITIVE_INFINITY,
      baseDelayMs: 500,
      maxDelayMs: 3000,
      signal: deadline,
      onRetry: (err) => log(`topics: ${brokers.join(',')} not ready (${(err as Error).message}); retrying`),
    });
  } catch (err) {
    log(`topics: giving up after ${waitMs} ms: ${(err as Error).message}`);
    return 1;
  }
  log(created.length > 0 ? `topics: created ${created.join(', ')}` : `topics: ${prefix}.* already present`);
  const drift = await berthTopicDrift(kafka, prefix, opts);
  for (const line of drift) log(`topics: differs from Berth's settings: ${line}`);
  return 0;
}

function positiveInt(flag: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} must be a positive integer, got '${raw}'`);
  return n;
}
