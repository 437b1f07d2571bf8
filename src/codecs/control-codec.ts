import type { Control } from '../domain/control.js';
import { createAvroCodec } from './avro-codec.js';
import type { Codec } from './codec.js';
import { defaultSchemaCatalog, type SchemaCatalog } from './schema-catalog.js';

function toAvro(c: Control): unknown {
  return { taskId: c.taskId, action: c.action, reason: c.reason, requestedAtMs: c.requestedAtMs };
}

function fromAvro(r: Record<string, unknown>): Control {
  return {
    taskId: r.taskId as string,
    action: r.action as Control['action'],
    reason: r.reason as string | null,
    requestedAtMs: r.requestedAtMs as number,
  };
}

function violation(c: Control): string | null {
  return c.taskId.length === 0 ? 'taskId is empty' : null;
}

export function createControlCodec(catalog: SchemaCatalog = defaultSchemaCatalog()): Codec<Control> {
  return createAvroCodec<Control>({ fullName: 'io.berth.Control', toAvro, fromAvro, violation }, catalog);
}

/** Control values on `berth.control`. */
export const controlCodec: Codec<Control> = createControlCodec();
