/**
 * Shared set-up of executor tests on the real engine: per-run labels, a local image's id, a full
 * ExecutionRequest from the fields a test cares about, and removal of what a run left behind.
 */
import { execFileSync } from 'node:child_process';
import type { DockerEnginePort } from '../../src/containers/docker-engine-port.js';
import type { ExecutionRequest } from '../../src/domain/executor-port.js';

/** A random run id and the labels every container of this run carries. */
export function testRun(): { run: string; labels: Record<string, string> } {
  const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  return { run, labels: { 'berth.test': '1', 'berth.test-run': run } };
}

/** The image id (sha256:…) of a local image; throws when the image is not on the engine. */
export function localImageId(image: string): string {
  return execFileSync('docker', ['image', 'inspect', '--format', '{{.Id}}', image]).toString().trim();
}

/** Removes every container still carrying `labels` and returns their ids (a clean run: []). */
export async function removeLeftovers(
  engine: DockerEnginePort,
  labels: Readonly<Record<string, string>>,
): Promise<string[]> {
  const left = await engine.listByLabels(labels);
  for (const c of left) await engine.remove(c.id);
  return left.map((c) => c.id);
}

type Limits = Pick<ExecutionRequest, 'memoryBytes' | 'nanoCpus' | 'pidsLimit'>;
type Required = Pick<ExecutionRequest, 'taskId' | 'stack' | 'imageId' | 'command'>;

/**
 * A request with the test's own fields, `limits`, and neutral defaults for the rest: attempt 1, no
 * env, empty payload, no code, 30 s timeout, no network, 64 KiB caps. `over` wins over everything.
 */
export function executionRequest(
  fields: Required & Partial<ExecutionRequest>,
  limits: Limits,
  over: Partial<ExecutionRequest> = {},
): ExecutionRequest {
  return {
    attempt: 1,
    env: {},
    payload: new Uint8Array(0),
    codeTar: null,
    timeoutMs: 30_000,
    network: false,
    stdoutCapBytes: 64 * 1024,
    stderrCapBytes: 64 * 1024,
    outputCapBytes: 64 * 1024,
    ...fields,
    ...limits,
    ...over,
  };
}
