import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContainerExecutor } from '../../src/containers/container-executor.js';
import { DockerodeEngine } from '../../src/containers/dockerode-engine.js';
import { executorOptions } from '../../src/containers/executor-options.js';
import type { ExecutionRequest } from '../../src/domain/executor-port.js';
import { executionRequest, localImageId, removeLeftovers, testRun } from '../support/executor-fixture.js';

/**
 * Measures (and prints) what fresh isolation costs on this machine: warm handover → task start,
 * the same with a cgroup limit update, cold create → task start, `docker run --rm` → task start,
 * and the engine's create+start+remove ceiling. Asserts only the ordering the design relies on.
 */
const IMAGE = 'berth/stack-shell:current';
const MIB = 1024 * 1024;
const SAMPLES = 15;
const { run, labels } = testRun();
const engine = new DockerodeEngine();
const options = executorOptions({ workerId: `bench-${run}`, extraLabels: labels });
const executor = new ContainerExecutor(engine, options);
const never = new AbortController().signal;
let imageId: string;

function request(i: number, over: Partial<ExecutionRequest> = {}): ExecutionRequest {
  return executionRequest(
    {
      taskId: `lat-${i}`,
      stack: 'shell',
      imageId,
      command: ['true'],
      stdoutCapBytes: 4096,
      stderrCapBytes: 4096,
      outputCapBytes: 4096,
    },
    options.defaultLimits,
    over,
  );
}

function pct(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}
const summary = (s: number[]) => `p50 ${pct(s, 50)} ms, p95 ${pct(s, 95)} ms (n=${s.length})`;

async function startLatency(over: Partial<ExecutionRequest>, warm: boolean): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    if (warm) {
      const until = Date.now() + 30_000;
      while ((executor.warmCounts().shell ?? 0) < 1 && Date.now() < until)
        await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 100)); // let the engine settle after the refill
    }
    const t0 = Date.now();
    const o = await executor.execute(request(i, over), never);
    expect(o.status, o.reason ?? '').toBe('SUCCEEDED');
    samples.push((o.startedAtMs as number) - t0);
  }
  return samples;
}

function dockerRunStartMs(): Promise<number> {
  const labelArgs = Object.entries(labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]);
  const args = ['run', '--rm', '--network', 'none', ...labelArgs, '--entrypoint', 'date', imageId, '+%s%3N'];
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn('docker', args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(Number(out.trim()) - t0) : reject(new Error(`exit ${code}`)),
    );
  });
}

beforeAll(() => {
  imageId = localImageId(IMAGE);
});

afterAll(async () => {
  await executor.close();
  expect(await removeLeftovers(engine, labels)).toEqual([]);
});

describe('fresh isolation latency on this machine', () => {
  it('warm handover beats a cold container and docker run by a wide margin', async () => {
    executor.prewarm('shell', imageId, 1);
    const warm = await startLatency({}, true);
    const updated = await startLatency({ memoryBytes: 96 * MIB, pidsLimit: 48 }, true);
    executor.prewarm('shell', imageId, 0);
    const cold = await startLatency({}, false);
    const dockerRun: number[] = [];
    for (let i = 0; i < 8; i++) dockerRun.push(await dockerRunStartMs());
    console.log(`warm handover → started:            ${summary(warm)}`);
    console.log(`warm + limit update → started:      ${summary(updated)}`);
    console.log(`cold create/attach/start → started: ${summary(cold)}`);
    console.log(`docker run --rm → process start:    ${summary(dockerRun)}`);
    expect(pct(warm, 50) * 3).toBeLessThan(pct(cold, 50));
    expect(pct(warm, 50) * 3).toBeLessThan(pct(dockerRun, 50));
    expect(pct(updated, 50)).toBeLessThan(pct(cold, 50));
  });

  it('engine ceiling: sequential create + start + remove per second', async () => {
    const count = 12;
    const t0 = Date.now();
    for (let i = 0; i < count; i++) {
      const id = await engine.create({
        Image: imageId,
        Entrypoint: ['true'],
        Labels: labels,
        HostConfig: { NetworkMode: 'none', LogConfig: { Type: 'none', Config: {} } },
      });
      await engine.start(id);
      await engine.remove(id);
    }
    const perSecond = count / ((Date.now() - t0) / 1000);
    console.log(`engine create+start+remove ceiling: ${perSecond.toFixed(2)} containers/s (n=${count})`);
    expect(perSecond).toBeGreaterThan(0.2);
  });

  it('sustained fresh-isolation throughput: 2 slots, warm pool of 2 (runs last: closes the executor)', async () => {
    executor.prewarm('shell', imageId, 2);
    const until = Date.now() + 30_000;
    while ((executor.warmCounts().shell ?? 0) < 2 && Date.now() < until)
      await new Promise((r) => setTimeout(r, 20));
    const total = 16;
    let next = 0;
    let warmHits = 0;
    const t0 = Date.now();
    const slot = async () => {
      while (next < total) {
        const i = next++;
        if ((executor.warmCounts().shell ?? 0) > 0) warmHits++;
        const o = await executor.execute(request(i, { command: ['true'] }), never);
        expect(o.status).toBe('SUCCEEDED');
      }
    };
    await Promise.all([slot(), slot()]);
    const doneMs = Date.now() - t0;
    await executor.close(); // counts the removals still running in the background
    const perSecond = total / ((Date.now() - t0) / 1000);
    const untilLast = (total / (doneMs / 1000)).toFixed(2);
    console.log(
      `sustained: ${perSecond.toFixed(2)} tasks/s with 2 slots, removals included ` +
        `(${untilLast} tasks/s until the last result; ${warmHits}/${total} found a warm container)`,
    );
    expect(perSecond).toBeGreaterThan(0.2);
  });
});
