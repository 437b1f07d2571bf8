import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBerth, startBerth } from '../support/berth-cli.js';
import { availableStacks, WorkerHarness } from './worker-harness.js';

/**
 * `berth run` against a real worker (real broker, engine, shell stack): the task's exit code passes
 * through, outcomes without one get their documented codes, Ctrl-C (SIGINT to the CLI process)
 * cancels the running task (the second Ctrl-C, detaching, is in cli-results-since.test.ts, where
 * no worker can end the task first).
 */
const h = new WorkerHarness();
const env = () => ({ BERTH_TOPIC_PREFIX: h.prefix, BERTH_KAFKA_BROKERS: '127.0.0.1:9092' });

beforeAll(async () => {
  if (availableStacks(['shell']).length === 0) throw new Error('stack shell not built (berth stacks build)');
  await h.setUp(2);
  await h.startWorker({ slots: '2', warmPoolSize: '0' });
}, 180_000);
afterAll(() => h.tearDown(), 120_000);

describe('berth run with a real worker', () => {
  it('passes the task’s exit code through; TIMED_OUT and REJECTED get 124 and 126', async () => {
    const three = await runBerth(['run', 'shell', '--', 'sh', '-c', 'echo oops >&2; exit 3'], env());
    expect(three.stderr).toMatch(/oops\n.*FAILED, exit 3/s);
    expect(three.code).toBe(3);
    const ok = await runBerth(['run', 'shell', '--', 'sh', '-c', 'echo fine'], env());
    expect(ok.stdout).toBe('fine\n');
    expect(ok.code).toBe(0);
    const slow = await runBerth(['run', 'shell', '--timeout', '1s', '--', 'sleep', '30'], env());
    expect(slow.stderr).toMatch(/TIMED_OUT/);
    expect(slow.code).toBe(124);
    const unknown = await runBerth(['run', 'no-such-stack', '--', 'true'], env());
    expect(unknown.stderr).toMatch(/REJECTED/);
    expect(unknown.code).toBe(126);
  }, 240_000);

  it('Ctrl-C cancels the running task and waits for its CANCELLED result (exit 130)', async () => {
    const run = startBerth(['run', 'shell', '--', 'sh', '-c', 'echo started; sleep 120'], env());
    await run.stderrMatch(/submitting task/);
    const id = /submitting task (\S+)/.exec(run.out().stderr)?.[1] ?? '';
    // Let it start in its container before interrupting.
    await h.until('task running', () => h.containers().length > 0, 60_000).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 2000));
    const sentAt = Date.now();
    run.child.kill('SIGINT');
    const code = await run.exited;
    const { stderr } = run.out();
    expect(stderr).toMatch(new RegExp(`cancelling task ${id} \\(Ctrl-C again`));
    expect(stderr).toMatch(new RegExp(`cancel requested for task ${id}`));
    expect(stderr).toMatch(new RegExp(`${id} attempt 1: CANCELLED`));
    expect(code).toBe(130);
    console.log(`SIGINT to CANCELLED result and exit: ${Date.now() - sentAt} ms`);
    await h.until('CANCELLED result recorded', () => h.resultsFor(id).length > 0, 30_000);
    expect(h.resultsFor(id).map((r) => r.status)).toEqual(['CANCELLED']);
  }, 240_000);
});
