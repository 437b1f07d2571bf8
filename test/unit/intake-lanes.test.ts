import { describe, expect, it } from 'vitest';
import type { PriorityLane } from '../../src/domain/priority-lane.js';
import { laneOfPriority, PRIORITY_LANES, priorityOfLane } from '../../src/domain/priority-lane.js';
import type { ConsumedRecord } from '../../src/intake/consumed-record.js';
import { IntakeRoom } from '../../src/intake/intake-room.js';
import { IntakeScheduler } from '../../src/intake/intake-scheduler.js';
import { LaneArbiter, type LaneSource } from '../../src/intake/lane-arbiter.js';
import { berthTopicConfigs } from '../../src/kafka/kafka-admin.js';
import { laneGroupId, laneTopics, topicNames } from '../../src/kafka/topic-names.js';
import { InFlightLedger } from '../../src/ledger/in-flight-ledger.js';

/** A lane source over an endless (or counted) backlog that takes room while there is some. */
function backlog(room: IntakeRoom, lane: PriorityLane, records: number, took: PriorityLane[]): LaneSource {
  let left = records;
  return {
    lane,
    waiting: () => left,
    pump: () => {
      while (left > 0 && room.hasRoomFor(lane)) {
        room.take(lane);
        took.push(lane);
        left--;
      }
    },
  };
}

describe('priority lanes', () => {
  it('map priorities to lanes and back (2 high, 1 normal, 0 low)', () => {
    expect(PRIORITY_LANES.map(priorityOfLane)).toEqual([2, 1, 0]);
    expect([2, 1, 0].map(laneOfPriority)).toEqual(['high', 'normal', 'low']);
  });

  it('have a tasks and a retry topic each; normal keeps the old names and group', () => {
    const t = topicNames('p');
    expect(laneTopics(t, 'normal')).toEqual({ tasks: 'p.tasks', retry: 'p.retry' });
    expect(laneTopics(t, 'high')).toEqual({ tasks: 'p.tasks.high', retry: 'p.retry.high' });
    expect(laneTopics(t, 'low')).toEqual({ tasks: 'p.tasks.low', retry: 'p.retry.low' });
    expect(PRIORITY_LANES.map((l) => laneGroupId('p', l))).toEqual([
      'p-workers-high',
      'p-workers',
      'p-workers-low',
    ]);
    const configs = berthTopicConfigs('p', { tasksPartitions: 6 });
    for (const topic of ['p.tasks', 'p.tasks.high', 'p.tasks.low']) {
      expect(configs.find((c) => c.topic === topic)?.numPartitions).toBe(6);
    }
    for (const topic of ['p.retry', 'p.retry.high', 'p.retry.low']) {
      expect(configs.some((c) => c.topic === topic)).toBe(true);
    }
  });
});

describe('IntakeRoom lanes', () => {
  it('keeps a high reserve beyond the room that normal and low work cannot use', () => {
    const room = new IntakeRoom(3, 1);
    for (let i = 0; i < 3; i++) room.take('normal');
    expect(room.hasRoomFor('normal')).toBe(false);
    expect(room.hasRoomFor('low')).toBe(false);
    expect(room.hasRoomFor('high')).toBe(true);
    room.take('high');
    expect(room.hasRoomFor('high')).toBe(false);
    expect(() => room.take('high')).toThrow(/without room/);
    room.give(1, 'normal');
    expect(room.hasRoomFor('normal')).toBe(true);
  });

  it('lets lower lanes back in when high work fills the room and its reserve', () => {
    const room = new IntakeRoom(2, 1);
    for (let i = 0; i < 3; i++) room.take('high');
    expect(room.hasRoomFor('low')).toBe(false);
    room.give(1, 'high');
    expect(room.hasRoomFor('low')).toBe(true);
  });
});

describe('IntakeScheduler of a lane', () => {
  const rec = (topic: string, offset: number): ConsumedRecord => ({
    topic,
    partition: 0,
    offset: String(offset),
    key: null,
    value: Buffer.from('v'),
    headers: {},
  });

  it('a high source is admitted into the reserve behind a room full of normal work, and gives it back', () => {
    const ledger = new InFlightLedger();
    const room = new IntakeRoom(2, 1);
    const started: string[] = [];
    const normal = new IntakeScheduler({ ledger, room, start: (t) => started.push(t.record.topic) });
    const high = new IntakeScheduler({
      ledger,
      room,
      lane: 'high',
      start: (t) => started.push(t.record.topic),
    });
    ledger.retainOnly('p.tasks', [0]);
    ledger.retainOnly('p.tasks.high', [0]);
    expect([0, 1, 2].map((o) => normal.offer(rec('p.tasks', o)).kind)).toEqual([
      'accepted',
      'accepted',
      'full',
    ]);
    expect(high.offer(rec('p.tasks.high', 0)).kind).toBe('accepted');
    expect(high.offer(rec('p.tasks.high', 1)).kind).toBe('full');
    expect(started).toEqual(['p.tasks', 'p.tasks', 'p.tasks.high']);
    expect(room.held).toBe(3);
    high.close();
    expect(normal.offer(rec('p.tasks', 2)).kind).toBe('full'); // the reserve is not normal room
  });
});

describe('LaneArbiter', () => {
  it('gives freed room to the highest lane with records waiting', () => {
    const room = new IntakeRoom(1);
    const took: PriorityLane[] = [];
    const arbiter = new LaneArbiter({ room, maxPassOvers: 100 });
    arbiter.add(backlog(room, 'low', 10, took));
    arbiter.add(backlog(room, 'normal', 10, took));
    arbiter.add(backlog(room, 'high', 2, took));
    room.onRoom(() => arbiter.grant());
    arbiter.grant();
    for (let i = 0; i < 4; i++) room.give(1, took[took.length - 1]);
    expect(took).toEqual(['high', 'high', 'normal', 'normal', 'normal']);
  });

  it('gives a passed-over lane the grant after maxPassOvers, so low never starves', () => {
    const room = new IntakeRoom(1);
    const took: PriorityLane[] = [];
    const arbiter = new LaneArbiter({ room, maxPassOvers: 3 });
    arbiter.add(backlog(room, 'high', 1000, took));
    arbiter.add(backlog(room, 'normal', 1000, took));
    arbiter.add(backlog(room, 'low', 1000, took));
    room.onRoom(() => arbiter.grant());
    arbiter.grant();
    for (let i = 0; i < 39; i++) room.give(1, took[took.length - 1]);
    const count = (lane: PriorityLane) => took.filter((l) => l === lane).length;
    expect(took).toHaveLength(40);
    // every lane with work gets at least 1 grant in maxPassOvers + 1
    expect(count('low')).toBeGreaterThanOrEqual(Math.floor(40 / 4) - 1);
    expect(count('normal')).toBeGreaterThanOrEqual(Math.floor(40 / 4) - 1);
    expect(count('high')).toBeGreaterThan(count('normal'));
    for (let i = 0; i + 4 <= took.length; i++) expect(took.slice(i, i + 4 + 3)).toContain('low');
  });

  it('does not count a lane as passed over while it has nothing waiting', () => {
    const room = new IntakeRoom(1);
    const took: PriorityLane[] = [];
    const arbiter = new LaneArbiter({ room, maxPassOvers: 2 });
    arbiter.add(backlog(room, 'high', 5, took));
    arbiter.add(backlog(room, 'low', 0, took));
    room.onRoom(() => arbiter.grant());
    arbiter.grant();
    for (let i = 0; i < 4; i++) room.give(1, 'high');
    expect(took).toEqual(['high', 'high', 'high', 'high', 'high']);
    expect(arbiter.passedOver('low')).toBe(0);
  });
});
