import type { Schedule } from '../schedules/schedule.js';
import { scheduleNameViolation } from '../schedules/schedule.js';
import { timingViolation } from '../schedules/schedule-timetable.js';
import { createAvroCodec } from './avro-codec.js';
import type { Codec } from './codec.js';
import { defaultSchemaCatalog, type SchemaCatalog } from './schema-catalog.js';
import { createTaskEventCodec } from './task-event-codec.js';

/**
 * Schedules on `<prefix>.schedules`. The task template travels as a framed TaskEvent inside the
 * `task` bytes field (so it evolves with TaskEvent's own schema); it is decoded with the same
 * catalog, so in registry mode its schema id must be one the catalog knows (the current TaskEvent
 * version always is).
 */
export function createScheduleCodec(catalog: SchemaCatalog = defaultSchemaCatalog()): Codec<Schedule> {
  const taskCodec = createTaskEventCodec(catalog);
  return createAvroCodec<Schedule>(
    {
      fullName: 'io.berth.Schedule',
      toAvro: (s) => ({ ...s, task: taskCodec.encode(s.task) }),
      fromAvro: (r) => ({
        name: r.name as string,
        cron: r.cron as string | null,
        timeZone: r.timeZone as string | null,
        everyMs: r.everyMs as number | null,
        anchorMs: r.anchorMs as number,
        task: taskCodec.decode(r.task as Buffer),
        paused: r.paused as boolean,
        missedTicks: r.missedTicks as Schedule['missedTicks'],
        createdAtMs: r.createdAtMs as number,
        activeSinceMs: r.activeSinceMs as number,
        updatedAtMs: r.updatedAtMs as number,
      }),
      violation: (s) => scheduleNameViolation(s.name) ?? timingViolation(s),
    },
    catalog,
  );
}

export const scheduleCodec: Codec<Schedule> = createScheduleCodec();
