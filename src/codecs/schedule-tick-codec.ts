import type { ScheduleTick } from '../schedules/schedule.js';
import { createAvroCodec } from './avro-codec.js';
import type { Codec } from './codec.js';
import { defaultSchemaCatalog, type SchemaCatalog } from './schema-catalog.js';

/** Fired ticks on `<prefix>.schedule-ticks` (key: schedule name). */
export function createScheduleTickCodec(
  catalog: SchemaCatalog = defaultSchemaCatalog(),
): Codec<ScheduleTick> {
  return createAvroCodec<ScheduleTick>(
    {
      fullName: 'io.berth.ScheduleTick',
      toAvro: (t) => ({ ...t }),
      fromAvro: (r) => ({
        name: r.name as string,
        tickMs: r.tickMs as number,
        taskId: r.taskId as string,
        firedAtMs: r.firedAtMs as number,
        workerId: r.workerId as string,
      }),
      violation: (t) => (t.name.length === 0 ? 'name is empty' : null),
    },
    catalog,
  );
}

export const scheduleTickCodec: Codec<ScheduleTick> = createScheduleTickCodec();
