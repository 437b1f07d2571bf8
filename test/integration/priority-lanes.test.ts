/**
 * Cluster-wide priority through a real worker process (`node dist/cli/main.js worker`, 2 slots,
 * random topic prefix, the shared broker and engine): a high task sent behind a backlog of 1,000
 * normal container tasks is the next task to start once a slot frees (its queue wait is bounded
 * by one task's slot time plus fetch slack, however deep the normal backlog and the worker's
 * prefetch), and a low task sent at the same time completes while normal work keeps flowing.
 * Prints the measured queue waits.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BerthClient } from '../../src/client/berth-client.js';
import type { TaskInput } from '../../src/client/task-input.js';
import type { TaskResult } from '../../src/domain/task-result.js';
import { berthCli } from '../support/berth-cli.js';
import { availableStacks, WorkerHarness } from './worker-harness.js';

const h = new WorkerHarness();
const BACKLOG = 1000;
const SLOTS = 2;
/** Tasks the worker holds beyond its slots: deep enough that held normal tasks wait many seconds. */
const PREFETCH = 32;
/** Fetch of the high lane (≤ 100 ms max wait), decode and planning before the slot request. */
const SLACK_MS = 1500;
let proc: ChildProcess | null = null;
let stderr = '';
let client: BerthClient;

function sleepTask(id: string, priority: TaskInput['priority']): TaskInput {
  return {
    id,
    inline: { stack: 'shell', command: ['sleep', '0.2'] },
    priority,
    timeoutMs: 30_000,
    maxAttempts: 1,
    memoryBytes: 32 * 1024 * 1024,
  };
}

/** Epoch ms the task's slot was granted (queue wait counts from creation). */
function grantedAtMs(r: TaskResult, createdAtMs: number): number {
  return createdAtMs + r.queueWaitMs;
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))] as number;
}

beforeAll(async () => {
  if (availableStacks(['shell']).length === 0) throw new Error('stack shell not built (berth stacks build)');
  await h.setUp(2);
  proc = spawn('node', [berthCli, 'worker'], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      BERTH_KAFKA_BROKERS: '127.0.0.1:9092',
      BERTH_TOPIC_PREFIX: h.prefix,
      BERTH_WORKER_ID: `w-${h.prefix}`,
      BERTH_SLOTS: String(SLOTS),
      BERTH_PREFETCH: String(PREFETCH),
      BERTH_MEMORY_BUDGET_BYTES: String(1024 ** 3),
      BERTH_METRICS_PORT: '0',
      BERTH_PREWARM_STACKS: 'shell',
      BERTH_CONTAINER_LABELS: Object.entries(h.labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(','),
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  proc.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  client = new BerthClient({ brokers: ['127.0.0.1:9092'], topicPrefix: h.prefix });
}, 180_000);

afterAll(async () => {
  await client?.close();
  if (proc && proc.exitCode === null) {
    proc.kill('SIGTERM');
    const exited = new Promise((resolve) => proc?.once('exit', resolve));
    const timer = setTimeout(() => proc?.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  }
  await h.tearDown();
}, 90_000);

describe('priority lanes through a real worker process', () => {
  it('starts a high task behind 1,000 normal ones within one slot time; low still completes', async () => {
    const normalIds = Array.from({ length: BACKLOG }, (_, i) => `n${i}-${h.prefix}`);
    const created = new Map<string, number>();
    for (let i = 0; i < BACKLOG; i += 250) {
      const before = Date.now();
      await client.submitMany(normalIds.slice(i, i + 250).map((id) => sleepTask(id, 'normal')));
      for (const id of normalIds.slice(i, i + 250)) created.set(id, before);
    }
    const normalResults = () => h.results.filter((r) => r.result.id.startsWith('n')).map((r) => r.result);
    // The worker is busy and its room (slots + prefetch) is full of normal work.
    await h.until('20 normal results', () => normalResults().length >= 20, 240_000);
    if (proc?.exitCode !== null) throw new Error(`worker exited: ${stderr}`);

    const highId = `high-${h.prefix}`;
    const lowId = `low-${h.prefix}`;
    const sentAtMs = Date.now();
    await client.submitMany([sleepTask(highId, 'high'), sleepTask(lowId, 'low')]);

    await h.until('the high result', () => h.resultsFor(highId).length > 0, 120_000);
    const high = h.resultsFor(highId)[0] as TaskResult;
    const highGrantedMs = sentAtMs + high.queueWaitMs;
    const doneBefore = normalResults();
    // Slot time of a normal task: from its slot grant to the end of its run.
    const slotTimes = doneBefore.map((r) => r.startLatencyMs + r.runMs);
    const slotP50 = percentile(slotTimes, 0.5);
    const slotP90 = percentile(slotTimes, 0.9);
    // Normal tasks whose slot was granted after the high task was sent and before it started.
    const overtook = h.results
      .map((r) => r.result)
      .filter((r) => r.id.startsWith('n'))
      .filter((r) => {
        const at = grantedAtMs(r, created.get(r.id) ?? 0);
        return at > sentAtMs && at < highGrantedMs;
      });
    const normalWaits = doneBefore.slice(-10).map((r) => r.queueWaitMs);

    await h.until('the low result', () => h.resultsFor(lowId).length > 0, 300_000);
    const low = h.resultsFor(lowId)[0] as TaskResult;
    const normalsDoneAtLow = normalResults().length;
    console.log(
      `priority lanes (2 slots, prefetch ${PREFETCH}, ${BACKLOG} normal tasks of sleep 0.2): ` +
        `high queue wait ${high.queueWaitMs} ms (slot time p50 ${slotP50} ms, p90 ${slotP90} ms; ` +
        `${overtook.length} normal task(s) granted a slot in between); ` +
        `normal tasks finishing then had waited ${Math.min(...normalWaits)}–${Math.max(...normalWaits)} ms; ` +
        `low queue wait ${low.queueWaitMs} ms, done after ${normalsDoneAtLow} of ${BACKLOG} normal results`,
    );

    expect(high.status).toBe('SUCCEEDED');
    expect(high.queueWaitMs).toBeLessThanOrEqual(slotP90 + SLACK_MS);
    // Only tasks granted a slot while the high record was still on its way may go first.
    expect(overtook.length).toBeLessThanOrEqual(SLOTS);
    // The normal backlog itself queues far longer: the high task really jumped it.
    expect(Math.min(...normalWaits)).toBeGreaterThan(high.queueWaitMs);
    expect(low.status).toBe('SUCCEEDED');
    // No starvation: low finished while the normal backlog was still being worked off.
    expect(normalsDoneAtLow).toBeLessThan(BACKLOG);
    expect(proc?.exitCode).toBe(null);
  }, 600_000);
});
