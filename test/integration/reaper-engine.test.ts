import { afterAll, describe, expect, it } from 'vitest';
import { DockerodeEngine } from '../../src/containers/dockerode-engine.js';
import { ContainerReaper } from '../../src/containers/reaper.js';

/** The reaper against the real engine; it only ever sees this run's containers (label filter). */
const IMAGE = 'berth/base-bookworm:current';
const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const testLabels = { 'berth.test': '1', 'berth.test-run': run };
const engine = new DockerodeEngine();
const me = `me-${run}`;
const inst = `cluster-${run}/berth`;
const mine = { 'berth.installation': inst };

async function container(labels: Record<string, string>, start = false): Promise<string> {
  const id = await engine.create({
    Image: IMAGE,
    Entrypoint: ['sleep', '300'],
    Labels: { ...testLabels, ...labels },
    HostConfig: { NetworkMode: 'none' },
  });
  if (start) await engine.start(id);
  return id;
}

afterAll(async () => {
  for (const c of await engine.listByLabels(testLabels)) await engine.remove(c.id);
  expect(await engine.listByLabels(testLabels)).toEqual([]);
});

describe('container reaper on the real engine', () => {
  it('removes own and dead workers’ task containers, keeps live, young, unlabelled and other installations’ ones', async () => {
    const old = String(Date.now() - 10 * 60_000);
    const own = await container({ ...mine, 'berth.role': 'task', 'berth.worker': me }, true);
    const dead = await container(
      { ...mine, 'berth.role': 'task', 'berth.worker': `dead-${run}`, 'berth.created-ms': old },
      true,
    );
    const young = await container({ ...mine, 'berth.role': 'task', 'berth.worker': `dead-${run}` });
    const live = await container({
      ...mine,
      'berth.role': 'task',
      'berth.worker': `peer-${run}`,
      'berth.created-ms': old,
    });
    const other = await container({ ...mine, 'berth.worker': `dead-${run}`, 'berth.created-ms': old });
    // Dead by this installation's heartbeats, but not of this installation: never looked at.
    const foreign = await container({
      'berth.installation': `cluster-${run}/other`,
      'berth.role': 'task',
      'berth.worker': `dead-${run}`,
      'berth.created-ms': old,
    });
    const legacy = await container({ 'berth.role': 'task', 'berth.worker': me, 'berth.created-ms': old });
    const reaper = new ContainerReaper(engine, {
      workerId: me,
      installation: () => inst,
      isWorkerAlive: (w) => w === `peer-${run}`,
      minAgeMs: 60_000,
      intervalMs: 60_000,
      extraLabels: testLabels,
    });
    const counts = await reaper.reapOnce({ includeOwn: true });
    expect(counts).toEqual({ own: 1, stale: 1, kept: 2, failed: 0 });
    expect(await engine.inspect(own)).toBeNull();
    expect(await engine.inspect(dead)).toBeNull();
    for (const id of [young, live, other, foreign, legacy]) expect(await engine.inspect(id)).not.toBeNull();
    const again = await reaper.reapOnce({ includeOwn: false });
    expect(again).toEqual({ own: 0, stale: 0, kept: 2, failed: 0 });
  });
});
