import { describe, expect, it } from 'vitest';
import { TaskCancel } from '../../src/domain/task-cancel.js';
import { InFlightLedger } from '../../src/ledger/in-flight-ledger.js';
import { PackageLimiter } from '../../src/slots/package-limiter.js';
import { CancelRegistry, TaskAbort } from '../../src/worker/cancel-registry.js';
import { CommitScheduler } from '../../src/worker/commit-scheduler.js';
import { WorkerLiveness } from '../../src/worker/worker-liveness.js';
import { defined } from '../support/defined.js';

describe('CommitScheduler', () => {
  it('commits the ledger offsets per topic and records only what the broker accepted', async () => {
    const ledger = new InFlightLedger();
    const a = defined(ledger.consumed('tasks', 0, 0n), 'a ticket');
    ledger.consumed('tasks', 0, 1n);
    const r = defined(ledger.consumed('retry', 1, 4n), 'a ticket');
    ledger.finished(a);
    ledger.finished(r);
    const calls: string[] = [];
    const committers = new Map([
      [
        'tasks',
        async (cs: readonly { partition: number; offset: string }[]) => {
          calls.push(...cs.map((c) => `tasks/${c.partition}@${c.offset}`));
          return cs;
        },
      ],
      [
        'retry',
        async (cs: readonly { partition: number; offset: string }[]) => {
          calls.push(...cs.map((c) => `retry/${c.partition}@${c.offset}`));
          return []; // e.g. no longer owned
        },
      ],
    ]);
    const s = new CommitScheduler(ledger, committers);
    await s.flush();
    expect(calls.sort()).toEqual(['retry/1@5', 'tasks/0@1']);
    calls.length = 0;
    await s.flush();
    expect(calls).toEqual(['retry/1@5']); // tasks/0 unchanged since; retry was not accepted
    s.stop();
  });
});

describe('WorkerLiveness', () => {
  it('self is alive; peers die after silence; unknown peers die once we listened long enough', () => {
    let now = 0;
    const l = new WorkerLiveness('me', 3000, () => now);
    expect(l.isAlive('me')).toBe(true);
    expect(l.isAlive('ghost')).toBe(true);
    now = 1000;
    l.seen('peer');
    now = 2000;
    expect(l.isAlive('peer')).toBe(true);
    now = 3500;
    expect(l.isAlive('ghost')).toBe(false);
    expect(l.isAlive('peer')).toBe(true);
    now = 4500;
    expect(l.isAlive('peer')).toBe(false);
    l.seen('peer');
    expect(l.isAlive('peer')).toBe(true);
    l.seen('peer', true);
    expect(l.isAlive('peer')).toBe(false);
    expect(l.isAlive('me')).toBe(true);
  });
});

describe('CancelRegistry', () => {
  it('aborts tracked tasks with a cancel reason, remembers cancels for a while, kills all on shutdown', () => {
    let now = 0;
    const c = new CancelRegistry(1000, () => now);
    const a = new TaskCancel();
    const untrack = c.track('t1', a);
    expect(c.cancel('t1', 'user')).toBe(1);
    expect(a.reason).toBeInstanceOf(TaskAbort);
    expect((a.reason as TaskAbort).kind).toBe('cancel');
    expect(c.cancelReason('t1')).toBe('user');
    now = 1500;
    expect(c.cancelReason('t1')).toBeNull();
    untrack();
    const b = new TaskCancel();
    c.track('t2', b);
    expect(c.killAll('bye')).toBe(1);
    expect((b.reason as TaskAbort).kind).toBe('shutdown');
  });

  it('tracks several handles of one task id and untracks each on its own', () => {
    const c = new CancelRegistry(1000);
    const [a, b, d] = [new TaskCancel(), new TaskCancel(), new TaskCancel()];
    const untrackA = c.track('t', a);
    const untrackB = c.track('t', b);
    expect(c.trackedCount).toBe(2);
    untrackA();
    untrackA();
    expect(c.trackedCount).toBe(1);
    c.track('t', d);
    expect(c.cancel('t', 'user')).toBe(2);
    expect(a.aborted).toBe(false);
    expect(b.aborted && d.aborted).toBe(true);
    untrackB();
    expect(c.trackedCount).toBe(1);
  });
});

describe('PackageLimiter', () => {
  it('holds at most max per package and serves waiters in order', async () => {
    const l = new PackageLimiter();
    const r1 = await l.acquire('p', 1);
    const order: number[] = [];
    const w2 = l.acquire('p', 1).then((r) => {
      order.push(2);
      return r;
    });
    const w3 = l.acquire('p', 1).then((r) => {
      order.push(3);
      return r;
    });
    const other = await l.acquire('q', 1);
    expect(l.runningOf('p')).toBe(1);
    r1();
    (await w2)();
    (await w3)();
    expect(order).toEqual([2, 3]);
    other();
    expect(l.runningOf('p')).toBe(0);
    const unlimited = await Promise.all([l.acquire('z', 0), l.acquire('z', 0)]);
    expect(l.runningOf('z')).toBe(2);
    for (const r of unlimited) r();
  });
});
