import { describe, expect, it } from 'vitest';
import type { ConsumedRecord } from '../../src/intake/consumed-record.js';
import type { HeldTask } from '../../src/intake/held-task.js';
import { IntakeBuffer } from '../../src/intake/intake-buffer.js';
import { IntakeRoom } from '../../src/intake/intake-room.js';
import { IntakeScheduler } from '../../src/intake/intake-scheduler.js';
import { InFlightLedger } from '../../src/ledger/in-flight-ledger.js';

/**
 * The retry topic's intake as the worker wires it (buffer → scheduler → ledger), with records
 * waiting for their not-before time: nothing passed over is lost, and nothing commits past it.
 */
function rec(offset: number, key: string, notBeforeMs?: number): ConsumedRecord {
  return {
    topic: 'retry',
    partition: 0,
    offset: String(offset),
    key: Buffer.from(key),
    value: Buffer.from('v'),
    headers: notBeforeMs === undefined ? {} : { nb: String(notBeforeMs) },
  };
}

function wiring() {
  const clock = { ms: 1000 };
  const ledger = new InFlightLedger();
  const started: HeldTask[] = [];
  const scheduler = new IntakeScheduler({
    ledger,
    room: new IntakeRoom(10),
    start: (t) => started.push(t),
    notBeforeMs: (r) => (r.headers.nb ? Number(r.headers.nb) : null),
    now: () => clock.ms,
  });
  const buffer = new IntakeBuffer({ sink: scheduler, wakeAt: () => {}, now: () => clock.ms });
  const offsets = () => started.map((t) => t.record.offset);
  const finish = (offset: string) => {
    const t = started.find((s) => s.record.offset === offset);
    if (t === undefined) throw new Error(`offset ${offset} did not start`);
    scheduler.finish(t, true);
  };
  const commit = () => ledger.dueCommits()[0]?.offset ?? null;
  return { clock, buffer, started, offsets, finish, commit };
}

describe('retry intake with waiting records', () => {
  it('a record passed over because its key waits behind a not-due one still runs, and the commit never passes it', () => {
    const w = wiring();
    // 0: key k, due at 5000; 1: key k, due now (must wait for 0: same key); 2: key j, due now.
    w.buffer.push(0, [rec(0, 'k', 5000), rec(1, 'k'), rec(2, 'j')]);
    w.buffer.pump();
    expect(w.offsets()).toEqual(['2']);
    w.finish('2');
    expect(w.commit()).toBe('0');
    w.clock.ms = 5000;
    w.buffer.pump();
    expect(w.offsets()).toEqual(['2', '0']); // 1 waits behind 0 (same key), not dropped
    w.finish('0');
    expect(w.offsets()).toEqual(['2', '0', '1']);
    expect(w.commit()).toBe('1');
    w.finish('1');
    expect(w.commit()).toBe('3');
  });

  it('two delays of one key, the later-listed one due first, both run in offset order', () => {
    const w = wiring();
    w.buffer.push(0, [rec(0, 'k', 9000), rec(1, 'k', 3000), rec(2, 'j')]);
    w.buffer.pump();
    w.finish('2');
    w.clock.ms = 9000;
    w.buffer.pump();
    w.finish('0');
    expect(w.offsets()).toEqual(['2', '0', '1']);
    w.finish('1');
    expect(w.commit()).toBe('3');
  });
});
