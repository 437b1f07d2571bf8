import { describe, expect, it } from 'vitest';
import { LABEL_INSTALLATION, taskContainerSpec } from '../../src/containers/container-spec.js';
import { ContainerReaper } from '../../src/containers/reaper.js';
import { FakeEngine } from './containers-fake-engine.js';

const NOW = 1_000_000;
/** The reaper's own installation. */
const MINE = 'cluster-1/berth';

async function seed(
  engine: FakeEngine,
  workerId: string,
  ageMs: number,
  labels: Record<string, string> = {},
  /** null: no installation label, as containers of older Berth versions. */
  installationId: string | null = MINE,
) {
  const spec = taskContainerSpec({
    imageId: 'sha256:x',
    stack: 'shell',
    workerId,
    installationId: installationId ?? undefined,
    limits: { memoryBytes: 1, nanoCpus: 1, pidsLimit: 1 },
    network: false,
    taskTmpfsBytes: 1,
    tmpTmpfsBytes: 1,
    extraLabels: labels,
    nowMs: NOW - ageMs,
  });
  return engine.create(spec);
}

function reaper(engine: FakeEngine, alive: string[], installation = () => MINE) {
  return new ContainerReaper(engine, {
    workerId: 'me',
    installation,
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

  it('only lists containers of its own installation (label filter at the engine)', async () => {
    const engine = new FakeEngine();
    const listed: Record<string, string>[] = [];
    const list = engine.listByLabels.bind(engine);
    engine.listByLabels = (labels) => {
      listed.push({ ...labels });
      return list(labels);
    };
    await reaper(engine, []).reapOnce({ includeOwn: true });
    expect(listed).toEqual([{ 'berth.role': 'task', [LABEL_INSTALLATION]: MINE }]);
  });

  it("never removes another installation's containers, whatever their worker's heartbeat", async () => {
    const engine = new FakeEngine();
    const other = 'cluster-1/other-prefix';
    const foreignDead = await seed(engine, 'dead', 120_000, {}, other);
    const foreignSameWorkerId = await seed(engine, 'me', 120_000, {}, 'cluster-2/berth');
    const mineDead = await seed(engine, 'dead', 120_000);
    const r = reaper(engine, []);
    expect(await r.reapOnce({ includeOwn: true })).toEqual({ own: 0, stale: 1, kept: 0, failed: 0 });
    const seen: number[] = [];
    r.start((c) => seen.push(c.stale + c.own));
    while (seen.length < 2) await new Promise((res) => setTimeout(res, 5));
    await r.stop();
    expect(seen.slice(0, 2)).toEqual([0, 0]);
    expect(engine.containers.get(foreignDead)?.removed).toBe(false);
    expect(engine.containers.get(foreignSameWorkerId)?.removed).toBe(false);
    expect(engine.containers.get(mineDead)?.removed).toBe(true);
  });

  it('never removes containers without an installation label (older Berth versions)', async () => {
    const engine = new FakeEngine();
    const legacyOwn = await seed(engine, 'me', 120_000, {}, null);
    const legacyDead = await seed(engine, 'dead', 120_000, {}, null);
    expect(engine.containers.get(legacyDead)?.spec.Labels?.[LABEL_INSTALLATION]).toBeUndefined();
    const r = reaper(engine, []);
    expect(await r.reapOnce({ includeOwn: true })).toEqual({ own: 0, stale: 0, kept: 0, failed: 0 });
    const seen: number[] = [];
    r.start((c) => seen.push(c.stale + c.own));
    while (seen.length === 0) await new Promise((res) => setTimeout(res, 5));
    await r.stop();
    expect(seen[0]).toBe(0);
    expect(engine.containers.get(legacyOwn)?.removed).toBe(false);
    expect(engine.containers.get(legacyDead)?.removed).toBe(false);
  });

  it("keeps another installation's containers even if the engine ignored the label filter", async () => {
    const engine = new FakeEngine();
    const foreign = await seed(engine, 'dead', 120_000, {}, 'cluster-9/x');
    engine.listByLabels = async () =>
      [...engine.containers.values()].map((c) => ({
        id: c.id,
        labels: c.spec.Labels ?? {},
        createdMs: 0,
        state: 'running',
      }));
    expect(await reaper(engine, []).reapOnce({ includeOwn: true })).toEqual({
      own: 0,
      stale: 0,
      kept: 1,
      failed: 0,
    });
    expect(engine.containers.get(foreign)?.removed).toBe(false);
  });

  it('lists nothing while the installation is unresolved; the loop reports the error and goes on', async () => {
    const engine = new FakeEngine();
    const dead = await seed(engine, 'dead', 120_000);
    const errors: unknown[] = [];
    const r = new ContainerReaper(engine, {
      workerId: 'me',
      installation: () => {
        throw new Error('installation id used before it was resolved');
      },
      isWorkerAlive: () => false,
      minAgeMs: 0,
      intervalMs: 10,
      onError: (err) => errors.push(err),
    });
    await expect(r.reapOnce({ includeOwn: true })).rejects.toThrow(/before it was resolved/);
    r.start();
    while (errors.length === 0) await new Promise((res) => setTimeout(res, 5));
    await r.stop();
    expect(engine.containers.get(dead)?.removed).toBe(false);
  });
});
