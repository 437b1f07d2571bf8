import { describe, expect, it } from 'vitest';
import { taskContainerSpec } from '../../src/containers/container-spec.js';
import { ContainerReaper } from '../../src/containers/reaper.js';
import { FakeEngine } from './containers-fake-engine.js';

const NOW = 1_000_000;

async function seed(
  engine: FakeEngine,
  workerId: string,
  ageMs: number,
  labels: Record<string, string> = {},
) {
  const spec = taskContainerSpec({
    imageId: 'sha256:x',
    stack: 'shell',
    workerId,
    limits: { memoryBytes: 1, nanoCpus: 1, pidsLimit: 1 },
    network: false,
    taskTmpfsBytes: 1,
    tmpTmpfsBytes: 1,
    extraLabels: labels,
    nowMs: NOW - ageMs,
  });
  return engine.create(spec);
}

function reaper(engine: FakeEngine, alive: string[]) {
  return new ContainerReaper(engine, {
    workerId: 'me',
    isWorkerAlive: (w) => alive.includes(w),
    minAgeMs: 60_000,
    intervalMs: 10,
    now: () => NOW,
  });
}

describe('ContainerReaper', () => {
  it('at start removes own containers and those of dead workers past the minimum age', async () => {
    const engine = new FakeEngine();
    const own = await seed(engine, 'me', 0);
    const deadOld = await seed(engine, 'dead', 120_000);
    const deadYoung = await seed(engine, 'dead', 1_000);
    const aliveOld = await seed(engine, 'peer', 120_000);
    const counts = await reaper(engine, ['peer']).reapOnce({ includeOwn: true });
    expect(counts).toEqual({ own: 1, stale: 1, kept: 2, failed: 0 });
    expect(engine.containers.get(own)?.removed).toBe(true);
    expect(engine.containers.get(deadOld)?.removed).toBe(true);
    expect(engine.containers.get(deadYoung)?.removed).toBe(false);
    expect(engine.containers.get(aliveOld)?.removed).toBe(false);
  });

  it('periodically leaves its own containers alone', async () => {
    const engine = new FakeEngine();
    const own = await seed(engine, 'me', 120_000);
    const dead = await seed(engine, 'dead', 120_000);
    const r = reaper(engine, []);
    const seen: number[] = [];
    r.start((c) => seen.push(c.stale));
    while (seen.length === 0) await new Promise((res) => setTimeout(res, 5));
    await r.stop();
    expect(seen[0]).toBe(1);
    expect(engine.containers.get(own)?.removed).toBe(false);
    expect(engine.containers.get(dead)?.removed).toBe(true);
  });

  it('never touches containers without the Berth task role', async () => {
    const engine = new FakeEngine();
    const foreign = await engine.create({ Image: 'x', Labels: { 'berth.worker': 'dead' } });
    const counts = await reaper(engine, []).reapOnce({ includeOwn: true });
    expect(counts).toEqual({ own: 0, stale: 0, kept: 0, failed: 0 });
    expect(engine.containers.get(foreign)?.removed).toBe(false);
  });
});
