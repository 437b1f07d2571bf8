import type { Admin, Kafka } from 'kafkajs';

/**
 * High watermarks of a topic's partitions, for lag gauges (high watermark minus committed
 * offset). Best effort: a failed lookup returns an empty map and the lag is reported unknown.
 */
export class LagProbe {
  private admin: Admin | null = null;

  constructor(private readonly kafka: Kafka) {}

  async highWatermarks(topic: string): Promise<Map<number, bigint>> {
    try {
      if (!this.admin) {
        this.admin = this.kafka.admin();
        await this.admin.connect();
      }
      const offsets = await this.admin.fetchTopicOffsets(topic);
      return new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
    } catch {
      return new Map();
    }
  }

  /** Idempotent. */
  async close(): Promise<void> {
    const admin = this.admin;
    this.admin = null;
    await admin?.disconnect().catch(() => undefined);
  }
}
