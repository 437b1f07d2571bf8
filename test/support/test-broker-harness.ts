import type { Kafka } from 'kafkajs';
import type { WorkerConfig, WorkerFlags } from '../../src/config/worker-config.js';
import { createKafka } from '../../src/kafka/kafka-connection.js';
import { WorkerHarness } from '../integration/worker-harness.js';

/** The worker harness on another broker (a test's own `TestBroker`, maybe behind a `TcpProxy`). */
export class TestBrokerHarness extends WorkerHarness {
  override readonly kafka: Kafka;

  constructor(readonly bootstrap: string) {
    super();
    this.kafka = createKafka({ brokers: [bootstrap], clientId: `test-${this.prefix}` });
  }

  override config(flags: WorkerFlags = {}): WorkerConfig {
    return super.config({ brokers: this.bootstrap, ...flags });
  }
}
