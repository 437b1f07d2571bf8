import type { OutputFile, TaskResult } from '../domain/task-result.js';
import { asBuffer, createAvroCodec } from './avro-codec.js';
import type { Codec } from './codec.js';
import { defaultSchemaCatalog, type SchemaCatalog } from './schema-catalog.js';

type AvroRecord = Record<string, unknown>;

function toAvro(r: TaskResult): unknown {
  return {
    ...r,
    stdout: asBuffer(r.stdout),
    stderr: asBuffer(r.stderr),
    outputs: r.outputs.map((o) => ({ name: o.name, data: asBuffer(o.data) })),
    labels: { ...r.labels },
    returnValue:
      r.returnValue == null ? null : { kind: r.returnValue.kind, data: asBuffer(r.returnValue.data) },
  };
}

function fromAvro(r: AvroRecord): TaskResult {
  const outputs = (r.outputs as AvroRecord[]).map(
    (o): OutputFile => ({ name: o.name as string, data: o.data as Buffer }),
  );
  // The reader schema's fields are exactly TaskResult's; copy them into a plain object.
  const rv = r.returnValue as AvroRecord | null | undefined;
  const plain = {
    ...r,
    outputs,
    labels: { ...(r.labels as Record<string, string>) },
    // Only reader schemas from v2 on have the field; a v1 reader's result stays without it.
    ...('returnValue' in r
      ? { returnValue: rv == null ? null : { kind: rv.kind, data: rv.data as Buffer } }
      : {}),
  };
  return plain as unknown as TaskResult;
}

function violation(r: TaskResult): string | null {
  if (r.id.length === 0) return 'id is empty';
  if (!Number.isInteger(r.attempt) || r.attempt < 1) return `attempt ${r.attempt} is not a positive integer`;
  if (!/^-?\d+$/.test(r.sourceOffset) && r.sourceOffset !== '')
    return `sourceOffset '${r.sourceOffset}' is not a decimal`;
  return null;
}

/** Builds a TaskResult codec over `catalog` (tests pass catalogs holding future versions). */
export function createTaskResultCodec(catalog: SchemaCatalog = defaultSchemaCatalog()): Codec<TaskResult> {
  return createAvroCodec<TaskResult>(
    { fullName: 'io.berth.TaskResult', toAvro, fromAvro, violation },
    catalog,
  );
}

/** TaskResult values on `berth.results`. */
export const taskResultCodec: Codec<TaskResult> = createTaskResultCodec();
