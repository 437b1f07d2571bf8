import { describe, expect, it } from 'vitest';
import { InFlightLedger } from '../../src/ledger/in-flight-ledger.js';
import { KeyQueues } from '../../src/ledger/key-queues.js';
import { PartitionLedger } from '../../src/ledger/partition-ledger.js';
import { defined } from '../support/defined.js';

describe('PartitionLedger', () => {
  it('commits the lowest unfinished offset, not the highest finished', () => {
    const p = new PartitionLedger('t', 0, 1);
    for (const o of [10n, 11n, 12n, 13n]) expect(p.consumed(o)).toBe(true);
    expect(p.committable()).toBe(10n);
    p.finished(11n);
    p.finished(13n);
    expect(p.committable()).toBe(10n);
    p.finished(10n);
    expect(p.committable()).toBe(12n);
    p.finished(12n);
    expect(p.committable()).toBe(14n);
  });

  it('handles offset gaps (compaction, control records)', () => {
    const p = new PartitionLedger('t', 0, 1);
    p.consumed(5n);
    p.consumed(9n);
    p.finished(5n);
    expect(p.committable()).toBe(9n);
    p.finished(9n);
    expect(p.committable()).toBe(10n);
  });

  it('a waiting (deferred) offset holds the commit back while due records behind it finish', () => {
    const p = new PartitionLedger('t', 0, 1);
    expect(p.deferred(5n)).toBe(true);
    expect(p.consumed(6n)).toBe(true);
    p.finished(6n);
    expect(p.committable()).toBe(5n); // not 7: record 5 has not run
    expect(p.inFlight).toBe(0);
    expect(p.deferred(5n)).toBe(true); // offered again while still not due
    expect(p.consumed(5n)).toBe(true); // due now: handed out once
    expect(p.consumed(5n)).toBe(false);
    expect(p.committable()).toBe(5n);
    p.finished(5n);
    expect(p.committable()).toBe(7n);
    expect(p.deferred(6n)).toBe(false); // a re-delivery of a started offset is not waiting
  });

  it('recognises re-deliveries of offsets already consumed', () => {
    const p = new PartitionLedger('t', 0, 1);
    expect(p.consumed(3n)).toBe(true);
    expect(p.consumed(3n)).toBe(false);
    expect(p.consumed(2n)).toBe(false);
    expect(p.consumed(4n)).toBe(true);
  });

  it('offers a commit only when it moved', () => {
    const p = new PartitionLedger('t', 0, 1);
    expect(p.commitDue()).toBeNull();
    p.consumed(0n);
    expect(p.commitDue()).toBe(0n);
    p.markCommitted(0n);
    expect(p.commitDue()).toBeNull();
    p.finished(0n);
    expect(p.commitDue()).toBe(1n);
    p.markCommitted(1n);
    expect(p.commitDue()).toBeNull();
  });
});

describe('InFlightLedger', () => {
  it('never commits a partition after it was revoked, even when its task finishes', () => {
    const l = new InFlightLedger();
    const t = defined(l.consumed('tasks', 1, 7n), 'a ticket');
    l.revoke('tasks', 1);
    expect(l.finished(t)).toBe(false);
    expect(l.dueCommits()).toEqual([]);
  });

  it('a ticket from an earlier ownership does not move the new ownership', () => {
    const l = new InFlightLedger();
    const old = defined(l.consumed('tasks', 0, 5n), 'a ticket');
    l.retainOnly('tasks', []);
    l.retainOnly('tasks', [0]);
    const fresh = defined(l.consumed('tasks', 0, 5n), 'a ticket');
    expect(fresh.epoch).not.toBe(old.epoch);
    expect(l.finished(old)).toBe(false);
    expect(l.dueCommits()).toEqual([{ topic: 'tasks', partition: 0, offset: '5', epoch: fresh.epoch }]);
    expect(l.finished(fresh)).toBe(true);
    expect(l.dueCommits()[0]?.offset).toBe('6');
  });

  it('retainOnly revokes exactly the partitions no longer owned, per topic', () => {
    const l = new InFlightLedger();
    l.retainOnly('tasks', [0, 1, 2]);
    l.retainOnly('retry', [0]);
    expect(l.retainOnly('tasks', [1, 3]).sort()).toEqual([0, 2]);
    expect(l.owns('tasks', 1)).toBe(true);
    expect(l.owns('tasks', 3)).toBe(true);
    expect(l.owns('tasks', 0)).toBe(false);
    expect(l.owns('retry', 0)).toBe(true);
  });

  it('a commit acked after a revoke does not resurrect state', () => {
    const l = new InFlightLedger();
    const t = defined(l.consumed('tasks', 0, 0n), 'a ticket');
    l.finished(t);
    const due = defined(l.dueCommits()[0], 'a due commit');
    l.revoke('tasks', 0);
    l.committed(due);
    expect(l.owns('tasks', 0)).toBe(false);
    expect(l.inFlight).toBe(0);
  });

  it('counts in-flight offsets across partitions', () => {
    const l = new InFlightLedger();
    l.consumed('tasks', 0, 0n);
    l.consumed('tasks', 1, 0n);
    const t = defined(l.consumed('tasks', 1, 1n), 'a ticket');
    expect(l.inFlight).toBe(3);
    l.finished(t);
    expect(l.inFlight).toBe(2);
    const commits = l.dueCommits();
    expect(commits.map((c) => `${c.partition}@${c.offset}`).sort()).toEqual(['0@0', '1@0']);
  });
});

describe('KeyQueues', () => {
  it('runs one item per key in order, different keys in parallel', () => {
    const q = new KeyQueues<string>();
    expect(q.enqueue('a', 'a1')).toBe(true);
    expect(q.enqueue('b', 'b1')).toBe(true);
    expect(q.enqueue('a', 'a2')).toBe(false);
    expect(q.enqueue('a', 'a3')).toBe(false);
    expect(q.size).toBe(4);
    expect(q.complete('a')).toBe('a2');
    expect(q.complete('b')).toBeUndefined();
    expect(q.complete('a')).toBe('a3');
    expect(q.complete('a')).toBeUndefined();
    expect(q.size).toBe(0);
    expect(q.enqueue('a', 'a4')).toBe(true);
  });

  it('removeWaiting keeps running heads', () => {
    const q = new KeyQueues<number>();
    q.enqueue('k', 1);
    q.enqueue('k', 2);
    q.enqueue('k', 3);
    expect(q.removeWaiting((n) => n !== 3)).toEqual([2]);
    expect(q.complete('k')).toBe(3);
  });
});
