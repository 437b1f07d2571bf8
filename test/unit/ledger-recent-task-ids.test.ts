import { describe, expect, it } from 'vitest';
import { RecentTaskIds } from '../../src/ledger/recent-task-ids.js';

function memory(windowMs = 60_000, maxIds = 100) {
  const clock = { ms: 1_000_000 };
  const ids = new RecentTaskIds({ windowMs, maxIds, now: () => clock.ms });
  return { ids, clock };
}

describe('RecentTaskIds (idempotency memory)', () => {
  it('runs the first record of an id and refuses a second record of it as a duplicate', () => {
    const { ids } = memory();
    expect(ids.admit('a', 1, 't/0@5')).toEqual({ kind: 'run' });
    expect(ids.admit('a', 1, 't/3@9')).toEqual({ kind: 'duplicate', first: 't/0@5' });
    expect(ids.admit('b', 1, 't/3@10')).toEqual({ kind: 'run' });
  });

  it('a later attempt (a retry) runs; an older or equal one from elsewhere does not', () => {
    const { ids } = memory();
    ids.admit('a', 1, 't/0@5');
    expect(ids.admit('a', 2, 'r/1@0').kind).toBe('run');
    expect(ids.admit('a', 2, 'r/1@1').kind).toBe('duplicate'); // the retry record written twice
    expect(ids.admit('a', 1, 't/0@6').kind).toBe('duplicate');
  });

  it('a re-delivery of the claimed record runs until its result is known, then is finished', () => {
    const { ids, clock } = memory();
    ids.admit('a', 1, 't/0@5');
    expect(ids.admit('a', 1, 't/0@5').kind).toBe('run');
    ids.resultSeen('a', 1, 't/0@5', clock.ms);
    expect(ids.admit('a', 1, 't/0@5').kind).toBe('finished');
    expect(ids.admit('a', 1, 't/2@1').kind).toBe('duplicate');
  });

  it('release after an unacknowledged run lets another record of the id run', () => {
    const { ids } = memory();
    ids.admit('a', 1, 't/0@5');
    ids.release('a', 't/0@5');
    expect(ids.admit('a', 1, 't/1@2').kind).toBe('run');
  });

  it('a moved (delayed) task: its delay record takes over once; a copy of it and a resubmit do not', () => {
    const { ids } = memory();
    ids.admit('a', 1, 't/0@5');
    ids.moved('a', 't/0@5');
    ids.release('a', 't/0@5'); // a moved task is acknowledged: release does not forget it
    expect(ids.admit('a', 1, 't/1@7').kind).toBe('duplicate'); // resubmitted while it waits
    expect(ids.admit('a', 1, 'r/2@0', 't/0@5').kind).toBe('run'); // its delay record, when due
    expect(ids.admit('a', 1, 'r/2@4', 't/0@5').kind).toBe('duplicate'); // a second delay record
  });

  it('results from berth.results rebuild the memory after a restart', () => {
    const { ids, clock } = memory();
    ids.resultSeen('a', 1, 't/0@5', clock.ms - 1000);
    expect(ids.admit('a', 1, 't/4@8').kind).toBe('duplicate');
    expect(ids.admit('a', 1, 't/0@5').kind).toBe('finished');
    ids.resultSeen('b', 1, 't/0@6', clock.ms - 120_000); // older than the window: ignored
    expect(ids.admit('b', 1, 't/0@9').kind).toBe('run');
  });

  it('forgets ids after the window and beyond the bound', () => {
    const { ids, clock } = memory(60_000, 3);
    ids.admit('a', 1, 't/0@1');
    clock.ms += 60_001;
    expect(ids.admit('a', 1, 't/0@2').kind).toBe('run');
    for (const id of ['b', 'c', 'd']) ids.admit(id, 1, `t/0@${id}`);
    expect(ids.size).toBe(3);
    expect(ids.admit('a', 1, 't/0@3').kind).toBe('run'); // 'a' was the least recently seen
    expect(ids.admit('d', 1, 't/0@4').kind).toBe('duplicate');
  });
});
