import { enableSchemaRegistryFromEnv } from '../codecs/schema-registry.js';
import { kafkaSecurityFromEnv } from '../config/kafka-security-config.js';
import { createClientKafka } from '../kafka/client-kafka.js';
import { ClientProducer } from '../kafka/client-producer.js';
import { StoreFeedConsumer } from '../kafka/store-feed-consumer.js';
import { topicNames } from '../kafka/topic-names.js';
import { type ConsoleConfig, describeStore } from './console-config.js';
import { ConsoleHttp } from './console-http.js';
import { ResultStore } from './result-store.js';
import { openStore, type StoreConnection } from './store-connection.js';
import { StoreFeed } from './store-feed.js';
import { migrateStore } from './store-migrations.js';
import { TaskActions } from './task-actions.js';

export interface RunningConsole {
  /** `http://host:port/` the console answers on. */
  readonly url: string;
  readonly port: number;
  readonly store: ResultStore;
  readonly feed: StoreFeed;
  /** Stops the feed, the HTTP server and the retention timer, closes the store; idempotent. */
  close(): Promise<void>;
}

/**
 * Starts a console: opens and migrates the store, follows the installation's topics with the
 * `<prefix>-console` group (several consoles split the partitions; every one answers queries
 * over the shared store), serves the API and UI, and prunes old rows every hour. `onFatal` hears
 * of a feed that stopped for good (the caller should exit so a supervisor restarts it). Throws
 * `InfraError` when the store or Kafka cannot be reached; whatever was started is closed again.
 */
export async function startConsole(
  config: ConsoleConfig,
  log: (line: string) => void = () => {},
  onFatal: (err: Error) => void = (err) => log(`feed stopped: ${err.message}`),
): Promise<RunningConsole> {
  const topics = topicNames(config.topicPrefix);
  const connection: StoreConnection = openStore(config.store);
  const closers: (() => Promise<void>)[] = [() => connection.close()];
  const close = async () => {
    for (const c of closers.splice(0).reverse()) await c().catch(() => undefined);
  };
  try {
    const applied = await migrateStore(connection.db as never, connection.dialect);
    if (applied.length > 0) log(`store migrated: ${applied.join(', ')}`);
    await enableSchemaRegistryFromEnv({ topicPrefix: config.topicPrefix });
    const store = new ResultStore(connection.db);
    const feed = new StoreFeed(store, topics, log);
    const kafka = createClientKafka(config.brokers, 'berth-console', 3000, kafkaSecurityFromEnv());
    const producer = new ClientProducer(kafka, config.brokers);
    closers.push(() => producer.close());
    const consumer = new StoreFeedConsumer({
      kafka,
      groupId: `${config.topicPrefix}-console`,
      // The progress topic is followed when it exists (not stored yet: results are what is queried).
      topics: [...feed.followedTopics(), topics.progress],
      onBatch: (records) => feed.handle(records),
      log,
      onFatal,
    });
    await consumer.start();
    closers.push(() => consumer.stop());
    const http = new ConsoleHttp({
      store,
      feed,
      actions: new TaskActions(store, producer, topics),
      token: config.token,
      describe: () => ({
        store: describeStore(config.store),
        topicPrefix: config.topicPrefix,
        topics: consumer.topics,
      }),
    });
    const port = await http.listen(config.port, config.host);
    closers.push(() => http.close());
    const prune = async () => {
      const removed = await store.prune(Date.now() - config.retentionMs);
      if (removed.tasks + removed.dlq + removed.workers > 0)
        log(`retention removed ${JSON.stringify(removed)}`);
    };
    const timer = setInterval(
      () => void prune().catch((err) => log(`retention pass failed: ${err.message}`)),
      config.pruneIntervalMs,
    );
    timer.unref();
    closers.push(async () => clearInterval(timer));
    void prune().catch((err) => log(`retention pass failed: ${err.message}`));
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    return { url: `http://${host}:${port}/`, port, store, feed, close };
  } catch (err) {
    await close();
    throw err;
  }
}
