import type { PartitionStats, WorkerStats } from '../domain/worker-stats.js';
import { createAvroCodec } from './avro-codec.js';
import type { Codec } from './codec.js';
import { defaultSchemaCatalog, type SchemaCatalog } from './schema-catalog.js';

type AvroRecord = Record<string, unknown>;

function toAvro(s: WorkerStats): unknown {
  return {
    ...s,
    partitions: s.partitions.map((p) => ({
      topic: p.topic,
      partition: p.partition,
      paused: p.paused,
      lag: p.lag,
    })),
    warmContainers: { ...s.warmContainers },
  };
}

function fromAvro(r: AvroRecord): WorkerStats {
  const partitions = (r.partitions as AvroRecord[]).map((p) => ({ ...p }) as unknown as PartitionStats);
  const plain = { ...r, partitions, warmContainers: { ...(r.warmContainers as Record<string, number>) } };
  return plain as unknown as WorkerStats;
}

function violation(s: WorkerStats): string | null {
  if (s.workerId.length === 0) return 'workerId is empty';
  if (s.slotsBusy < 0 || s.slotsTotal < 0) return 'slot counts are negative';
  return null;
}

export function createWorkerStatsCodec(catalog: SchemaCatalog = defaultSchemaCatalog()): Codec<WorkerStats> {
  return createAvroCodec<WorkerStats>(
    { fullName: 'io.berth.WorkerStats', toAvro, fromAvro, violation },
    catalog,
  );
}

/** WorkerStats values on `berth.metrics`. */
export const workerStatsCodec: Codec<WorkerStats> = createWorkerStatsCodec();
