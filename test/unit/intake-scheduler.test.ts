import { describe, expect, it } from 'vitest';
import type { ConsumedRecord } from '../../src/intake/consumed-record.js';
import type { HeldTask } from '../../src/intake/held-task.js';
import { IntakeRoom } from '../../src/intake/intake-room.js';
import { IntakeScheduler } from '../../src/intake/intake-scheduler.js';
import { InFlightLedger } from '../../src/ledger/in-flight-ledger.js';

function rec(
  partition: number,
  offset: number,
  key: string | null,
  headers: Record<string, string> = {},
): ConsumedRecord {
  return {
    topic: 'tasks',
    partition,
    offset: String(offset),
    key: key === null ? null : Buffer.from(key),
    value: Buffer.from('v'),
    headers,
  };
}

function setup(capacity: number, now = () => 1000) {
  const ledger = new InFlightLedger();
  const room = new IntakeRoom(capacity);
  const started: HeldTask[] = [];
  let roomCalls = 0;
  room.onRoom(() => roomCalls++);
  const s = new IntakeScheduler({
    ledger,
    room,
    start: (t) => started.push(t),
    notBeforeMs: (r) => (r.headers.nb ? Number(r.headers.nb) : null),
    now,
  });
  return { ledger, room, started, s, roomCalls: () => roomCalls };
}

describe('IntakeScheduler', () => {
  it('never holds more than its capacity, whatever is offered', () => {
    const { s, started, room } = setup(3);
    const decisions = Array.from({ length: 100 }, (_, i) => s.offer(rec(i % 4, i, `k${i}`)).kind);
    expect(decisions.filter((d) => d === 'accepted')).toHaveLength(3);
    expect(decisions.slice(3).every((d) => d === 'full')).toBe(true);
    expect(started).toHaveLength(3);
    expect(room.held).toBe(3);
  });

  it('same key starts in offset order, other keys overtake', () => {
    const { s, started } = setup(10);
    s.offer(rec(0, 0, 'a'));
    s.offer(rec(0, 1, 'a'));
    s.offer(rec(0, 2, 'b'));
    s.offer(rec(0, 3, 'a'));
    expect(started.map((t) => t.record.offset)).toEqual(['0', '2']);
    s.finish(started[1] as HeldTask, true); // b done first
    expect(started.map((t) => t.record.offset)).toEqual(['0', '2']);
    s.finish(started[0] as HeldTask, true);
    expect(started.map((t) => t.record.offset)).toEqual(['0', '2', '1']);
    s.finish(started[2] as HeldTask, true);
    expect(started.map((t) => t.record.offset)).toEqual(['0', '2', '1', '3']);
  });

  it('the same key in different partitions does not serialise', () => {
    const { s, started } = setup(10);
    s.offer(rec(0, 0, 'a'));
    s.offer(rec(1, 0, 'a'));
    expect(started).toHaveLength(2);
  });

  it('commits only past acked tasks and frees room on finish', () => {
    const { s, started, ledger, roomCalls } = setup(2);
    s.offer(rec(0, 5, 'x'));
    s.offer(rec(0, 6, 'y'));
    expect(s.offer(rec(0, 7, 'z')).kind).toBe('full');
    s.finish(started[1] as HeldTask, true);
    expect(roomCalls()).toBe(1);
    expect(ledger.dueCommits()[0]?.offset).toBe('5');
    s.finish(started[0] as HeldTask, false); // not acked (shutdown): stays uncommitted
    expect(ledger.dueCommits()[0]?.offset).toBe('5');
    expect(s.offer(rec(0, 7, 'z')).kind).toBe('accepted');
  });

  it('defers records that are not due yet without taking room', () => {
    const { s, started, room } = setup(2, () => 1000);
    expect(s.offer(rec(0, 0, 'a', { nb: '5000' }))).toEqual({ kind: 'defer', untilMs: 5000 });
    expect(room.held).toBe(0);
    expect(s.offer(rec(0, 0, 'a', { nb: '500' })).kind).toBe('accepted');
    expect(started).toHaveLength(1);
  });

  it('a due record taken from behind a waiting one never commits past it, and the waiting one still runs', () => {
    const { s, started, ledger } = setup(5, () => 1000);
    expect(s.offer(rec(0, 0, 'a', { nb: '5000' })).kind).toBe('defer');
    expect(s.offer(rec(0, 1, 'b')).kind).toBe('accepted');
    s.finish(started[0] as HeldTask, true);
    expect(ledger.dueCommits()[0]?.offset).toBe('0');
    expect(s.offer(rec(0, 0, 'a', { nb: '500' })).kind).toBe('accepted');
    expect(started).toHaveLength(2);
    expect(started[1]?.record.offset).toBe('0');
    s.finish(started[1] as HeldTask, true);
    expect(ledger.dueCommits()[0]?.offset).toBe('2');
  });

  it('ignores re-deliveries of offsets in hand (rejoin re-fetch)', () => {
    const { s, started, room } = setup(5);
    s.offer(rec(0, 0, 'a'));
    expect(s.offer(rec(0, 0, 'a')).kind).toBe('accepted');
    expect(started).toHaveLength(1);
    expect(room.held).toBe(1);
  });

  it('on revoke drops waiting tasks of the partition and their offsets never commit', () => {
    const { s, started, ledger, room } = setup(10);
    s.offer(rec(0, 0, 'a'));
    s.offer(rec(0, 1, 'a'));
    s.offer(rec(1, 0, 'a'));
    s.assigned('tasks', [1]);
    expect(room.held).toBe(2); // running head of p0 and p1's task
    s.finish(started[0] as HeldTask, true); // p0's running task finishes after revoke
    expect(started).toHaveLength(2); // the dropped waiting one never starts
    expect(ledger.dueCommits().map((c) => c.partition)).toEqual([1]);
  });

  it('close drops waiting tasks and refuses new ones', () => {
    const { s, started, room } = setup(10);
    s.offer(rec(0, 0, 'a'));
    s.offer(rec(0, 1, 'a'));
    s.close();
    expect(room.held).toBe(1);
    expect(s.offer(rec(0, 2, 'b')).kind).toBe('full');
    s.finish(started[0] as HeldTask, true);
    expect(started).toHaveLength(1);
    expect(room.held).toBe(0);
  });
});
