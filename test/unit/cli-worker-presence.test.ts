import { describe, expect, it } from 'vitest';
import { watchWorkerPresence } from '../../src/cli/worker-presence.js';
import type { ConsumerGroupView } from '../../src/kafka/worker-group-probe.js';

const until = async (cond: () => boolean, ms = 2000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met');
    await new Promise((r) => setTimeout(r, 5));
  }
};

function watch(views: (ConsumerGroupView | Error)[]) {
  const lines: string[] = [];
  let probes = 0;
  const w = watchWorkerPresence({
    probe: async () => {
      const v = views[Math.min(probes++, views.length - 1)] as ConsumerGroupView | Error;
      if (v instanceof Error) throw v;
      return v;
    },
    groupId: 'p-workers',
    tasksTopic: 'p.tasks',
    warn: (l) => lines.push(l),
    waiting: '10 min',
    recheckMs: 10,
  });
  return { lines, w, probes: () => probes };
}

describe('no-worker warning', () => {
  it('warns once when the workers’ group has no members, and says when one joins', async () => {
    const { lines, w, probes } = watch([
      { state: 'Empty', members: 0 },
      { state: 'Empty', members: 0 },
      { state: 'Dead', members: 0 },
      { state: 'Stable', members: 2 },
    ]);
    await until(() => lines.length === 2);
    await new Promise((r) => setTimeout(r, 50));
    w.stop();
    expect(lines).toEqual([
      'no live worker: consumer group p-workers has no members (Empty); the task waits on p.tasks until a worker starts (berth worker). Still waiting up to 10 min',
      'a worker joined consumer group p-workers (2 member(s)); still waiting',
    ]);
    expect(probes()).toBe(4); // stops looking once a worker is seen
  });

  it('says nothing when a worker is there; probe failures are silent; stop ends the watch', async () => {
    const present = watch([{ state: 'Stable', members: 1 }]);
    await until(() => present.probes() === 1);
    await new Promise((r) => setTimeout(r, 50));
    expect(present.lines).toEqual([]);
    expect(present.probes()).toBe(1);

    const failing = watch([new Error('coordinator not available')]);
    await until(() => failing.probes() >= 3);
    failing.w.stop();
    const seen = failing.probes();
    await new Promise((r) => setTimeout(r, 50));
    expect(failing.lines).toEqual([]);
    expect(failing.probes()).toBe(seen);
  });
});
