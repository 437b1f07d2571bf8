import type { CodeRef, InlineTask, TaskEvent } from '../domain/task-event.js';
import { asBuffer, createAvroCodec } from './avro-codec.js';
import type { Codec } from './codec.js';
import { defaultSchemaCatalog, type SchemaCatalog } from './schema-catalog.js';
import { taskEventViolation } from './task-event-rules.js';

type AvroRecord = Record<string, unknown>;

// Mappings spread the record first so fields added by a newer schema version pass through.
function toAvro(e: TaskEvent): unknown {
  return {
    ...e,
    code: e.code === null ? null : { name: e.code.name, revision: e.code.revision },
    inline:
      e.inline === null
        ? null
        : { stack: e.inline.stack, command: [...e.inline.command], env: { ...e.inline.env } },
    payload: asBuffer(e.payload),
    labels: { ...e.labels },
    runAtMs: e.runAtMs ?? null,
  };
}

function fromAvro(r: AvroRecord): TaskEvent {
  const { runAtMs: _runAtMs, ...fields } = r;
  const code = r.code as AvroRecord | null;
  const inline = r.inline as AvroRecord | null;
  const plain = {
    ...fields,
    code: code === null ? null : ({ name: code.name, revision: code.revision } as CodeRef),
    inline:
      inline === null
        ? null
        : ({
            stack: inline.stack,
            command: inline.command,
            env: { ...(inline.env as object) },
          } as InlineTask),
    labels: { ...(r.labels as Record<string, string>) },
    // A run-at time only when one is set (v2 and later): an event without one decodes as it was
    // built, whichever version wrote or reads it.
    ...(r.runAtMs === null || r.runAtMs === undefined ? {} : { runAtMs: Number(r.runAtMs) }),
  };
  return plain as unknown as TaskEvent;
}

/** Builds a TaskEvent codec over `catalog` (tests pass catalogs holding future versions). */
export function createTaskEventCodec(catalog: SchemaCatalog = defaultSchemaCatalog()): Codec<TaskEvent> {
  return createAvroCodec<TaskEvent>(
    { fullName: 'io.berth.TaskEvent', toAvro, fromAvro, violation: taskEventViolation },
    catalog,
  );
}

/** TaskEvent values on `berth.tasks` and `berth.retry`. */
export const taskEventCodec: Codec<TaskEvent> = createTaskEventCodec();
