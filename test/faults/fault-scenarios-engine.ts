import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { inlineEvent, WorkerHarness } from '../integration/worker-harness.js';
import { account, allEnded, type FaultRow, orphanContainers, stuckPartitions } from './fault-accounting.js';
import { pushWorkload, sleep, workloadEvents } from './fault-workload.js';
import { ProcessWorker } from './process-worker.js';

const FLAGS = { 'session-timeout-ms': '8000', 'dead-after-intervals': '3', slots: '2' };

/**
 * Two installations (two topic prefixes) on one engine, long tasks, reapers every second for
 * several periods: a task whose container the other installation removed would end "container
 * lost" (or not SUCCEEDED). Counts those as removed.
 */
export async function twoInstallations(sleepS: number): Promise<FaultRow> {
  const run = `fi${Date.now().toString(36)}`;
  const hs = [new WorkerHarness({ runLabel: run }), new WorkerHarness({ runLabel: run })];
  await Promise.all(hs.map((h) => h.setUp(1)));
  const flags = {
    ...FLAGS,
    'stats-interval-ms': '500',
    'dead-after-intervals': '2',
    'reaper-interval-ms': '1000',
  };
  try {
    const ids: string[][] = hs.map((h, n) =>
      Array.from({ length: 2 }, (_, i) => `inst${n}-${i}-${h.prefix}`),
    );
    const workers = hs.map((h, n) => new ProcessWorker(`inst${n}-${h.prefix}`, h, flags));
    await sleep(3000);
    await Promise.all(
      hs.map((h, n) =>
        h.send(
          (ids[n] ?? []).map((id) => ({
            // A timeout well past the sleep: only a removed container can end these tasks early.
            event: inlineEvent(id, 'shell', ['sh', '-c', `sleep ${sleepS}; echo done`], {
              timeoutMs: (sleepS + 120) * 1000,
            }),
          })),
        ),
      ),
    );
    await Promise.all(
      hs.map((h, n) =>
        h.until(
          'long tasks done',
          () => (ids[n] ?? []).every((id) => h.resultsFor(id).length > 0),
          (sleepS + 120) * 1000,
        ),
      ),
    );
    const removed = hs
      .flatMap((h, n) => (ids[n] ?? []).flatMap((id) => h.resultsFor(id)))
      .filter((r) => r.status !== 'SUCCEEDED' || /container lost/.test(r.reason ?? '')).length;
    await Promise.all(workers.map((w) => w.stop()));
    const lost = hs.reduce((n, h, i) => n + account(h, { taskIds: ids[i] ?? [] }).lost, 0);
    return {
      scenario: `two installations on one engine, ${sleepS} s tasks`,
      records: 4,
      lost,
      duplicates: hs.reduce((n, h, i) => n + account(h, { taskIds: ids[i] ?? [] }).duplicates, 0),
      conflicting: 0,
      orphans: orphanContainers(hs[0] as WorkerHarness),
      stuckPartitions:
        (await stuckPartitions(hs[0] as WorkerHarness)) + (await stuckPartitions(hs[1] as WorkerHarness)),
      notes: `tasks whose container the other installation removed: ${removed}`,
    };
  } finally {
    await Promise.all(hs.map((h) => h.tearDown()));
  }
}

/** dockerd restarted (SIGTERM, then `berth infra up`) while function and fresh tasks run. */
export async function dockerdRestart(tasks: number): Promise<FaultRow> {
  const h = new WorkerHarness();
  await h.setUp(3);
  try {
    const pkg = await pushWorkload(h, 30);
    const fn = workloadEvents(pkg, 'dr', tasks);
    const fresh = Array.from({ length: 20 }, (_, i) =>
      inlineEvent(`dr-fresh-${i}`, 'shell', ['sh', '-c', 'sleep 1; echo ok']),
    );
    const w = new ProcessWorker(`dr-${h.prefix}`, h, FLAGS);
    await sleep(3000);
    await h.send([...fn, ...fresh].map((event) => ({ event })));
    await h.until('some done', () => h.results.length >= 30, 120_000);
    const t0 = Date.now();
    // The pid file `berth infra up` wrote: "<pid> <start time>".
    const pidFile = join(process.env.BERTH_STATE_DIR ?? join(homedir(), '.berth'), 'dockerd.pid');
    const pid = Number(readFileSync(pidFile, 'utf8').split(' ')[0]);
    process.kill(pid, 'SIGTERM');
    // Wait for the process itself to be gone (it stops its containers first): `infra up` would
    // otherwise find it still running and start nothing.
    for (let i = 0; i < 120; i++) {
      try {
        process.kill(pid, 0);
        await sleep(500);
      } catch {
        break;
      }
    }
    execFileSync('node', ['dist/cli/main.js', 'infra', 'up'], { stdio: 'ignore' });
    const downMs = Date.now() - t0;
    const expected = { taskIds: [...fn, ...fresh].map((e) => e.id) };
    await h.until('every record ended', () => allEnded(h, expected), 300_000);
    await w.stop();
    const failed = h.results.filter((r) => r.result.status !== 'SUCCEEDED').length;
    return {
      scenario: 'dockerd restarted under load',
      records: expected.taskIds.length,
      ...account(h, expected),
      orphans: orphanContainers(h),
      stuckPartitions: await stuckPartitions(h),
      notes: `engine away ${Math.round(downMs / 1000)} s; results not SUCCEEDED: ${failed}`,
    };
  } finally {
    await h.tearDown();
  }
}
