import { describe, expect, it } from 'vitest';
import { runBerth } from '../support/berth-cli.js';

/**
 * Issue item 5: `berth worker` against a dead broker (or engine) says so on its first line and
 * exits non-zero within 10 s, instead of retrying for 30 s and talking about stats first.
 * Runs the compiled CLI (npm run build first).
 */

const env = { BERTH_TOPIC_PREFIX: 'unreachable-test', BERTH_METRICS_PORT: '0' };

async function workerRun(args: string[], extra: NodeJS.ProcessEnv) {
  const started = Date.now();
  const r = await runBerth(['worker', ...args], { ...env, ...extra }, 30_000);
  const elapsedMs = Date.now() - started;
  const firstLine = r.stderr.split('\n')[0] ?? '';
  console.log(`berth worker ${args.join(' ')}: exit ${r.code} after ${elapsedMs} ms: ${firstLine}`);
  return { ...r, elapsedMs, firstLine };
}

describe('berth worker with an unreachable dependency', () => {
  it('a refused Kafka port: first line names brokers and reason, exit 1, under 10 s', async () => {
    const r = await workerRun(['--brokers', '127.0.0.1:1'], {});
    expect(r.firstLine).toBe(
      'berth worker: cannot reach Kafka at 127.0.0.1:1: connect ECONNREFUSED 127.0.0.1:1',
    );
    expect(r.code).toBe(1);
    expect(r.elapsedMs).toBeLessThan(10_000);
    expect(r.stderr).not.toMatch(/stats/);
  });

  it('a Kafka address that never answers: first line says so, exit 1, under 10 s', async () => {
    const r = await workerRun(['--brokers', '10.255.255.1:9092'], {});
    expect(r.firstLine).toMatch(/^berth worker: cannot reach Kafka at 10\.255\.255\.1:9092: /);
    expect(r.code).toBe(1);
    expect(r.elapsedMs).toBeLessThan(10_000);
  });

  it('a Docker socket that does not exist: first line names socket and reason, exit 1, under 10 s', async () => {
    const r = await workerRun(['--brokers', '127.0.0.1:9092'], { DOCKER_HOST: 'unix:///nonexistent.sock' });
    expect(r.firstLine).toBe(
      'berth worker: cannot reach the Docker engine at /nonexistent.sock: connect ENOENT /nonexistent.sock',
    );
    expect(r.code).toBe(1);
    expect(r.elapsedMs).toBeLessThan(10_000);
  });

  it('both unreachable: Kafka first, then the engine', async () => {
    const r = await workerRun(['--brokers', '127.0.0.1:1'], { DOCKER_HOST: 'unix:///nonexistent.sock' });
    expect(r.stderr.split('\n').slice(0, 2)).toEqual([
      'berth worker: cannot reach Kafka at 127.0.0.1:1: connect ECONNREFUSED 127.0.0.1:1',
      'berth worker: cannot reach the Docker engine at /nonexistent.sock: connect ENOENT /nonexistent.sock',
    ]);
    expect(r.code).toBe(1);
    expect(r.elapsedMs).toBeLessThan(10_000);
  });
});
