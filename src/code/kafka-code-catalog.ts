import type { KafkaInstance } from '../kafka/client-kafka.js';
import { KafkaCodeFeed } from '../kafka/code-topic.js';
import { CodeCatalog } from './code-catalog.js';

export interface KafkaCodeCatalogOptions {
  readonly kafka: KafkaInstance;
  /** The code topic, e.g. `topicNames(prefix).code`. */
  readonly topic: string;
  /** Tarball cache directory, e.g. `$BERTH_STATE_DIR/code-cache`. */
  readonly cacheDir: string;
  readonly catchUpTimeoutMs?: number;
  readonly log?: (line: string) => void;
}

/** A `CodeCatalog` following the code topic on Kafka; call `start()` before resolving. */
export function createKafkaCodeCatalog(opts: KafkaCodeCatalogOptions): CodeCatalog {
  return new CodeCatalog({
    feed: new KafkaCodeFeed({ kafka: opts.kafka, topic: opts.topic }),
    cacheDir: opts.cacheDir,
    catchUpTimeoutMs: opts.catchUpTimeoutMs,
    log: opts.log,
  });
}
