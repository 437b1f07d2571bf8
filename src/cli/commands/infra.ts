import { loadInfraConfig } from '../../config/infra-config.js';
import { describeStatus, infraDown, infraStatus, infraUp } from '../../infra/infra-manager.js';
import { type Command, UsageError } from '../command.js';

const help = `usage: berth infra up | down | status [--json]

  up      install and start what Berth needs, idempotently: a Docker engine (Debian's docker.io,
          dockerd with runc) and a single-node Kafka broker (KRaft, jars from Maven Central cached
          in BERTH_CACHE_DIR), then create Berth's topics. Services already answering are used as is.
  down    stop only what 'up' started (by pid file)
  status  what runs, where, and versions (exit 1 when something is down)

environment:
  BERTH_STATE_DIR (~/.berth: pid files, logs, broker data; created when missing)
  BERTH_CACHE_DIR (~/.cache/berth: Kafka jars and the Maven repository that fetched them)
  BERTH_KAFKA_PORT (9092)
  BERTH_KAFKA_CONTROLLER_PORT (port+1)  BERTH_KAFKA_VERSION (4.4.0)  BERTH_KAFKA_HEAP_MB (512)
  BERTH_TOPIC_PREFIX (berth)  BERTH_TASKS_PARTITIONS (6)  DOCKER_HOST (unix:///var/run/docker.sock)`;

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
      default:
        throw new UsageError(`expected up, down or status, got '${action ?? ''}'`);
    }
  },
};

export default infra;
