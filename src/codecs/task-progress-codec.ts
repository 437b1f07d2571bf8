import type { TaskProgress } from '../domain/task-progress.js';
import { createAvroCodec } from './avro-codec.js';
import type { Codec } from './codec.js';
import { defaultSchemaCatalog, type SchemaCatalog } from './schema-catalog.js';

function toAvro(p: TaskProgress): unknown {
  return {
    taskId: p.taskId,
    attempt: p.attempt,
    workerId: p.workerId,
    seq: p.seq,
    atMs: p.atMs,
    percent: p.percent,
    message: p.message,
    stdout: Buffer.from(p.stdout.buffer, p.stdout.byteOffset, p.stdout.byteLength),
    stderr: Buffer.from(p.stderr.buffer, p.stderr.byteOffset, p.stderr.byteLength),
    droppedBytes: p.droppedBytes,
  };
}

function fromAvro(r: Record<string, unknown>): TaskProgress {
  return {
    taskId: r.taskId as string,
    attempt: r.attempt as number,
    workerId: r.workerId as string,
    seq: r.seq as number,
    atMs: r.atMs as number,
    percent: r.percent as number | null,
    message: r.message as string | null,
    stdout: new Uint8Array(r.stdout as Buffer),
    stderr: new Uint8Array(r.stderr as Buffer),
    droppedBytes: r.droppedBytes as number,
  };
}

function violation(p: TaskProgress): string | null {
  if (p.taskId.length === 0) return 'taskId is empty';
  if (p.percent !== null && !(p.percent >= 0 && p.percent <= 100)) return 'percent is outside 0-100';
  return null;
}

export function createTaskProgressCodec(
  catalog: SchemaCatalog = defaultSchemaCatalog(),
): Codec<TaskProgress> {
  return createAvroCodec<TaskProgress>(
    { fullName: 'io.berth.TaskProgress', toAvro, fromAvro, violation },
    catalog,
  );
}

/** TaskProgress values on `<prefix>.progress`. */
export const taskProgressCodec: Codec<TaskProgress> = createTaskProgressCodec();
