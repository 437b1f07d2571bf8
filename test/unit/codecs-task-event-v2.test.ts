import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseSchema, SCHEMAS_DIR, SchemaCatalog } from '../../src/codecs/schema-catalog.js';
import { createTaskEventCodec } from '../../src/codecs/task-event-codec.js';
import type { TaskEvent } from '../../src/domain/task-event.js';

/** TaskEvent v2 as shipped (runAtMs, id 1002) against the shipped v1 (id 1001), both ways. */
function codec(versions: number[]) {
  const c = new SchemaCatalog();
  for (const v of versions) {
    const text = readFileSync(new URL(`task-event.v${v}.avsc`, SCHEMAS_DIR), 'utf8');
    c.add({ fullName: 'io.berth.TaskEvent', version: v, id: 1000 + v, type: parseSchema(JSON.parse(text)) });
  }
  return createTaskEventCodec(c);
}

const event: TaskEvent = {
  id: 'd-1',
  code: { name: 'report', revision: 2 },
  inline: null,
  payload: Buffer.from('{"day":"mon"}'),
  priority: 1,
  timeoutMs: 5000,
  maxAttempts: 3,
  attempt: 1,
  memoryBytes: null,
  network: null,
  labels: { team: 'ops' },
  createdAtMs: 1_764_000_000_000,
};

describe('TaskEvent v2 as shipped (runAtMs, id 1002)', () => {
  const v1 = codec([1]);
  const v2 = codec([1, 2]);

  it('backward: a v2 reader reads v1 bytes without a run-at time', () => {
    const bytes = v1.encode(event);
    expect(bytes.readUInt32BE(1)).toBe(1001);
    const back = v2.decode(bytes);
    expect('runAtMs' in back).toBe(false);
    expect(back).toMatchObject({ id: 'd-1', maxAttempts: 3, labels: { team: 'ops' } });
  });

  it('forward: a v1 reader reads v2 bytes carrying runAtMs and ignores it', () => {
    const bytes = v2.encode({ ...event, runAtMs: 1_764_000_600_000 });
    expect(bytes.readUInt32BE(1)).toBe(1002);
    const back = v1.decode(bytes);
    expect('runAtMs' in back).toBe(false);
    expect({ ...back, payload: Buffer.from(back.payload) }).toEqual({
      ...event,
      payload: Buffer.from(event.payload),
    });
  });

  it('runAtMs travels to a v2 reader; absent or null is written as null and read as absent', () => {
    expect(v2.decode(v2.encode({ ...event, runAtMs: 1_764_000_600_000 })).runAtMs).toBe(1_764_000_600_000);
    const none = v2.encode(event);
    expect(none.at(-1)).toBe(0); // the union's null branch, the last byte
    expect(none.length).toBe(v1.encode(event).length + 1);
    expect('runAtMs' in v2.decode(none)).toBe(false);
    expect('runAtMs' in v2.decode(v2.encode({ ...event, runAtMs: null }))).toBe(false);
  });

  it('a runAtMs that is not an epoch millisecond is refused', () => {
    expect(() => v2.encode({ ...event, runAtMs: -5 })).toThrow(/runAtMs -5/);
    expect(() => v2.encode({ ...event, runAtMs: 1.5 })).toThrow(/runAtMs 1.5/);
  });
});
