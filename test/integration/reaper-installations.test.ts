import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerodeEngine } from '../../src/containers/dockerode-engine.js';
import { installationIdOf } from '../../src/domain/installation.js';
import { noOpTelemetry } from '../../src/domain/no-op-telemetry.js';
import type { TelemetryPort } from '../../src/domain/telemetry-port.js';
import { fetchClusterId } from '../../src/kafka/cluster-id.js';
import type { Worker } from '../../src/worker/worker.js';
import { availableStacks, inlineEvent, WorkerHarness } from './worker-harness.js';

/**
 * Two installations (two topic prefixes, one Kafka cluster) on one Docker engine, their workers
 * reaping every second: each worker hears only its own prefix's heartbeats, so to B every worker
 * of A looks dead. Before the installation label, B removed A's warm and running containers and
 * A's long tasks ended "container lost". Now neither touches the other's containers, while a
 * genuine orphan of an installation is still removed by that installation's worker.
 *
 * Both harnesses share one `berth.test-run` label on purpose: the test labels (which reapers also
 * filter by) must not be what keeps the installations apart.
 */
const run = `ri${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const hA = new WorkerHarness({ runLabel: run });
const hB = new WorkerHarness({ runLabel: run });
const [stack] = availableStacks(['shell']);
const engine = new DockerodeEngine();
const IMAGE = 'berth/base-bookworm:current';
const TASKS = 2;
const SLEEP_S = 20;
const flags = {
  slots: String(TASKS),
  warmPoolSize: '1',
  prewarmStacks: String(stack),
  statsIntervalMs: '500',
  deadAfterIntervals: '2',
  reaperIntervalMs: '1000',
};

/** Telemetry that counts the containers its worker's reaper removed. */
function countingTelemetry(): TelemetryPort & { reaped: number } {
  const t = {
    ...noOpTelemetry,
    reaped: 0,
    containersReaped(count: number) {
      t.reaped += count;
    },
  };
  return t;
}

const workers: Worker[] = [];
const log = (line: string) => process.stderr.write(`[reaper-installations] ${line}\n`);

async function idsOf(installation: string): Promise<Set<string>> {
  const list = await engine.listByLabels({ ...hA.labels, 'berth.installation': installation });
  return new Set(list.map((c) => c.id));
}

/** A stopped task container of a worker that no longer runs, created ten minutes "ago". */
async function leftover(labels: Record<string, string>): Promise<string> {
  return engine.create({
    Image: IMAGE,
    Entrypoint: ['sleep', '300'],
    Labels: {
      ...hA.labels,
      'berth.role': 'task',
      'berth.worker': `gone-${run}`,
      'berth.created-ms': String(Date.now() - 10 * 60_000),
      ...labels,
    },
    HostConfig: { NetworkMode: 'none' },
  });
}

beforeAll(async () => {
  if (stack === undefined) throw new Error('stack image berth/stack-shell:current missing');
  await Promise.all([hA.setUp(1), hB.setUp(1)]);
}, 120_000);

afterAll(async () => {
  await Promise.all(workers.map((w) => w.close().catch(() => undefined)));
  await hA.tearDown();
  await hB.tearDown();
  for (const c of await engine.listByLabels(hA.labels)) await engine.remove(c.id).catch(() => undefined);
});

describe('installations sharing one Docker engine', () => {
  it("never reap each other's containers; an orphan of the same installation is reaped", async () => {
    const clusterId = await fetchClusterId(hA.kafka);
    const instA = installationIdOf(clusterId, hA.prefix);
    const instB = installationIdOf(clusterId, hB.prefix);
    const telA = countingTelemetry();
    const telB = countingTelemetry();
    const [wA, wB] = await Promise.all([hA.startWorker(flags, telA), hB.startWorker(flags, telB)]);
    workers.push(wA, wB);

    const command = ['bash', '-c', `sleep ${SLEEP_S}; echo done`];
    const idsFor = (p: string) => Array.from({ length: TASKS }, (_, i) => `${p}-long-${i}`);
    await hA.send(idsFor('a').map((id) => ({ event: inlineEvent(id, stack as string, command) })));
    await hB.send(idsFor('b').map((id) => ({ event: inlineEvent(id, stack as string, command) })));
    await hA.until(
      'both workers running all their tasks',
      () => wA.snapshot().slotsBusy === TASKS && wB.snapshot().slotsBusy === TASKS,
      60_000,
    );

    // Every container of each worker carries its installation's label.
    for (const [w, inst] of [
      [wA, instA],
      [wB, instB],
    ] as const) {
      const ofWorker = await engine.listByLabels({ ...hA.labels, 'berth.worker': w.snapshot().workerId });
      expect(ofWorker.length).toBeGreaterThanOrEqual(TASKS);
      for (const c of ofWorker) expect(c.labels['berth.installation']).toBe(inst);
    }

    const aAtStart = await idsOf(instA);
    const bAtStart = await idsOf(instB);
    expect(aAtStart.size).toBeGreaterThanOrEqual(TASKS);
    expect(bAtStart.size).toBeGreaterThanOrEqual(TASKS);

    // Leftovers of a dead worker: of A (reaped by A), of a third installation, of an old Berth.
    const orphanA = await leftover({ 'berth.installation': instA });
    const foreign = await leftover({ 'berth.installation': installationIdOf(clusterId, `${run}-gone`) });
    const legacy = await leftover({});

    // Until the first long task ends (≈ SLEEP_S reaper periods): the containers each worker had
    // once its tasks ran must all still be there — no reaper removed them.
    let polls = 0;
    const vanishedA = new Set<string>();
    const vanishedB = new Set<string>();
    while (hA.results.length + hB.results.length === 0) {
      const [a, b] = await Promise.all([idsOf(instA), idsOf(instB)]);
      if (hA.results.length + hB.results.length > 0) break; // a task ended meanwhile
      for (const id of aAtStart) if (!a.has(id)) vanishedA.add(id);
      for (const id of bAtStart) if (!b.has(id)) vanishedB.add(id);
      polls++;
      await new Promise((r) => setTimeout(r, 500));
    }
    log(
      `${polls} polls (500 ms) with 1 s reaper periods: containers of the other installation removed: ` +
        `A's ${vanishedA.size}, B's ${vanishedB.size} (must be 0)`,
    );
    expect([...vanishedA]).toEqual([]);
    expect([...vanishedB]).toEqual([]);
    expect(polls).toBeGreaterThan(10); // ≥ 5 s of reaper periods observed

    await hA.until('all results of A', () => hA.results.length >= TASKS, 90_000);
    await hB.until('all results of B', () => hB.results.length >= TASKS, 90_000);
    for (const { result } of [...hA.results, ...hB.results]) {
      expect(result.status, `${result.id}: ${result.reason}`).toBe('SUCCEEDED');
      expect(result.reason ?? '').not.toMatch(/container lost/);
      expect(result.attempt).toBe(1);
    }

    expect(await engine.inspect(orphanA)).toBeNull();
    expect(await engine.inspect(foreign)).not.toBeNull();
    expect(await engine.inspect(legacy)).not.toBeNull();
    // Neither worker left orphans of its own, so all A reaped is its orphan, and B reaped nothing.
    expect(telA.reaped).toBe(1);
    expect(telB.reaped).toBe(0);
    log(
      `reaper removals: A ${telA.reaped} (its installation's orphan), B ${telB.reaped}; ` +
        'third-installation and unlabelled leftovers kept',
    );
  }, 180_000);
});
