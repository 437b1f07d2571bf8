import { describe, expect, it } from 'vitest';
import type { Schedule } from '../../src/schedules/schedule.js';
import { ScheduleFirer } from '../../src/schedules/schedule-firer.js';
import { FakeScheduleFirerPorts } from '../support/fakes/schedule-firer-ports.js';
import { taskEvent } from '../support/task-event.js';

const T0 = 1_000_000;

function every(name: string, everyMs: number, over: Partial<Schedule> = {}): Schedule {
  return {
    name,
    cron: null,
    timeZone: null,
    everyMs,
    anchorMs: T0,
    task: taskEvent({ id: `sched:${name}`, labels: { team: 'a' } }),
    paused: false,
    missedTicks: 'LATEST',
    createdAtMs: T0,
    activeSinceMs: T0,
    updatedAtMs: T0,
    ...over,
  };
}

function setUp(workerId = 'w1', ports = new FakeScheduleFirerPorts()) {
  const clock = { now: T0 };
  const lines: string[] = [];
  const firer = new ScheduleFirer({
    ports,
    workerId,
    now: () => clock.now,
    log: (l) => lines.push(l),
    lateToleranceMs: 5_000,
  });
  return { firer, ports, clock, lines };
}

/** Owner with the ticks loaded and `schedules` applied, records caught up. */
async function owning(f: ReturnType<typeof setUp>, schedules: Schedule[]): Promise<void> {
  const loaded = f.firer.ownershipGained();
  for (const s of schedules) f.firer.apply(s.name, s);
  f.firer.recordsCaughtUpNow();
  await loaded;
}

describe('ScheduleFirer', () => {
  it('IDLE → LOADING → FIRING only after both the ticks and the schedule records are in', async () => {
    const f = setUp();
    expect(f.firer.state).toBe('IDLE');
    f.ports.holdLoads();
    const loaded = f.firer.ownershipGained();
    f.firer.apply('a', every('a', 1000));
    expect(f.firer.state).toBe('LOADING');
    f.clock.now = T0 + 5_000;
    expect(await f.firer.fireDue()).toBeNull();
    f.firer.recordsCaughtUpNow();
    expect(f.firer.state).toBe('LOADING');
    f.ports.releaseLoads();
    await loaded;
    expect(f.firer.state).toBe('FIRING');
    expect(f.ports.published).toHaveLength(0);
  });

  it('fires one task per tick with a deterministic id, labels and the template, and records the tick', async () => {
    const f = setUp();
    await owning(f, [every('a', 1000)]);
    for (const now of [T0 + 999, T0 + 1000, T0 + 1500, T0 + 2001, T0 + 2999, T0 + 3000]) {
      f.clock.now = now;
      await f.firer.fireDue();
    }
    expect(f.ports.ids()).toEqual([`sched:a:${T0 + 1000}`, `sched:a:${T0 + 2000}`, `sched:a:${T0 + 3000}`]);
    const first = f.ports.published[0];
    expect(first?.labels).toEqual({
      team: 'a',
      'berth.schedule': 'a',
      'berth.schedule.tick-ms': String(T0 + 1000),
    });
    expect(first?.inline?.command).toEqual(['true']);
    expect(first?.createdAtMs).toBe(T0 + 1000);
    expect(f.ports.ticks.get('a')).toMatchObject({
      tickMs: T0 + 3000,
      taskId: `sched:a:${T0 + 3000}`,
      workerId: 'w1',
    });
    expect(await f.firer.fireDue()).toBe(T0 + 4000);
  });

  it('a new owner continues after the last recorded tick: no old tick fires twice', async () => {
    const ports = new FakeScheduleFirerPorts();
    const a = setUp('w1', ports);
    await owning(a, [every('a', 1000)]);
    a.clock.now = T0 + 2000;
    await a.firer.fireDue();
    a.firer.ownershipLost();
    expect(a.firer.state).toBe('IDLE');
    a.clock.now = T0 + 2500;
    await a.firer.fireDue();
    const b = setUp('w2', ports);
    b.clock.now = T0 + 2500;
    await owning(b, [every('a', 1000)]);
    await b.firer.fireDue();
    b.clock.now = T0 + 3000;
    await b.firer.fireDue();
    expect(ports.ids()).toEqual([`sched:a:${T0 + 2000}`, `sched:a:${T0 + 3000}`]);
    expect(ports.ticks.get('a')?.workerId).toBe('w2');
  });

  it('after an outage fires only the latest missed tick (LATEST) and logs the skipped ones', async () => {
    const f = setUp();
    f.ports.ticks.set('a', { name: 'a', tickMs: T0 + 1000, taskId: 'x', firedAtMs: 0, workerId: 'w0' });
    f.clock.now = T0 + 10_500;
    await owning(f, [every('a', 1000)]);
    await f.firer.fireDue();
    expect(f.ports.ids()).toEqual([`sched:a:${T0 + 10_000}`]);
    expect(f.lines.join('\n')).toMatch(/a: 8 missed tick\(s\) skipped \(policy LATEST\)/);
  });

  it('paused schedules and deleted schedules fire nothing; resumed ones start after activeSinceMs', async () => {
    const f = setUp();
    await owning(f, [every('a', 1000, { paused: true }), every('b', 1000)]);
    f.firer.apply('b', null);
    f.clock.now = T0 + 3000;
    expect(await f.firer.fireDue()).toBeNull();
    expect(f.ports.published).toHaveLength(0);
    f.firer.apply('a', every('a', 1000, { activeSinceMs: T0 + 3000 }));
    await f.firer.fireDue();
    expect(f.ports.published).toHaveLength(0);
    f.clock.now = T0 + 4000;
    await f.firer.fireDue();
    expect(f.ports.ids()).toEqual([`sched:a:${T0 + 4000}`]);
  });

  it('fires nothing while the group session is unproven, then the same tick once it is', async () => {
    const f = setUp();
    await owning(f, [every('a', 1000)]);
    f.ports.owner = false;
    f.clock.now = T0 + 1000;
    await f.firer.fireDue();
    expect(f.ports.published).toHaveLength(0);
    f.ports.owner = true;
    f.clock.now = T0 + 1200;
    await f.firer.fireDue();
    expect(f.ports.ids()).toEqual([`sched:a:${T0 + 1000}`]);
  });

  it('a failed publish is retried with the same task id and does not advance', async () => {
    const f = setUp();
    await owning(f, [every('a', 1000)]);
    f.ports.failPublishes = 1;
    f.clock.now = T0 + 1000;
    await f.firer.fireDue();
    expect(f.ports.published).toHaveLength(0);
    expect(f.ports.ticks.has('a')).toBe(false);
    expect(f.lines.join('\n')).toMatch(/publishing sched:a:1001000 failed/);
    f.clock.now = T0 + 1100;
    await f.firer.fireDue();
    expect(f.ports.ids()).toEqual([`sched:a:${T0 + 1000}`]);
  });

  it('losing ownership during a load keeps it from firing; stop is final', async () => {
    const f = setUp();
    f.ports.holdLoads();
    const loaded = f.firer.ownershipGained();
    f.firer.apply('a', every('a', 1000));
    f.firer.recordsCaughtUpNow();
    f.firer.ownershipLost();
    f.ports.releaseLoads();
    await loaded;
    expect(f.firer.state).toBe('IDLE');
    f.firer.stop();
    await f.firer.ownershipGained();
    expect(f.firer.state).toBe('STOPPED');
    f.clock.now = T0 + 5000;
    expect(await f.firer.fireDue()).toBeNull();
    expect(f.ports.published).toHaveLength(0);
  });
});
