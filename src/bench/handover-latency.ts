import type { ExecutionRequest, ExecutorPort } from '../domain/executor-port.js';

const MIB = 1024 * 1024;

/** A trivial task request for benchmarks. */
export function benchRequest(stack: string, imageId: string, command: string[], i: number): ExecutionRequest {
  return {
    taskId: `bench-${i}`,
    attempt: 1,
    stack,
    imageId,
    command,
    env: {},
    payload: new Uint8Array(0),
    codeTar: null,
    timeoutMs: 30_000,
    memoryBytes: 128 * MIB,
    nanoCpus: 1_000_000_000,
    pidsLimit: 64,
    network: false,
    stdoutCapBytes: 4096,
    stderrCapBytes: 4096,
    outputCapBytes: 4096,
  };
}

async function waitWarm(executor: ExecutorPort, stack: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((executor.warmCounts()[stack] ?? 0) < 1) {
    if (Date.now() > deadline) throw new Error(`no warm container for ${stack} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Milliseconds from handing a task to the executor (what the worker does right after consuming
 * it and getting a slot) to the task process starting, with a warm container ready each time.
 */
export async function warmHandoverMs(
  executor: ExecutorPort,
  stack: string,
  imageId: string,
  count: number,
): Promise<number[]> {
  executor.prewarm(stack, imageId, 1);
  const samples: number[] = [];
  const never = new AbortController().signal;
  for (let i = 0; i < count; i++) {
    await waitWarm(executor, stack, 60_000);
    const t0 = Date.now();
    const outcome = await executor.execute(benchRequest(stack, imageId, ['true'], i), never);
    if (outcome.status !== 'SUCCEEDED' || outcome.startedAtMs === null)
      throw new Error(`bench task ${outcome.status}: ${outcome.reason}`);
    samples.push(outcome.startedAtMs - t0);
  }
  return samples;
}
