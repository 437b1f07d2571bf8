import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BerthClient } from '../../src/client/berth-client.js';
import { runBerth } from '../support/berth-cli.js';
import { availableStacks, WorkerHarness } from './worker-harness.js';

/**
 * End to end through the compiled CLI and a real worker (real broker, real engine, built stacks):
 * push the example packages, run them by name, run inline commands, inspect and cancel.
 */
const examples = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples');
const h = new WorkerHarness();
const env = () => ({ BERTH_TOPIC_PREFIX: h.prefix, BERTH_KAFKA_BROKERS: '127.0.0.1:9092' });
const NEEDED = ['python-3.11', 'media', 'node-20', 'ruby-3.3', 'java-17', 'shell'];

beforeAll(async () => {
  const missing = NEEDED.filter((s) => !availableStacks([s]).length);
  if (missing.length > 0) throw new Error(`stacks not built: ${missing.join(', ')} (run berth stacks build)`);
  await h.setUp(2);
  await h.startWorker({ slots: '2', warmPoolSize: '0' });
});
afterAll(() => h.tearDown());

async function submitJson(
  name: string,
  payload: string,
): Promise<{ code: number | null; result: Record<string, unknown> }> {
  const run = await runBerth(
    ['submit', name, '--wait', '--wait-timeout', '2m', '--json', '--payload', payload],
    env(),
  );
  expect(run.stderr).toMatch(/submitting task /);
  return { code: run.code, result: JSON.parse(run.stdout) };
}

describe('berth CLI with a real worker', () => {
  it('pushes the four example packages', async () => {
    for (const dir of ['thumbnailer', 'tx-validator', 'ruby-wordcount', 'java-luhn']) {
      const run = await runBerth(['code', 'push', join(examples, dir)], env());
      expect(run.stderr).toBe(`berth code: ${run.stderr.slice(12)}`); // progress lines only
      expect(run.stdout).toMatch(new RegExp(`^${dir}@1 published \\(sha256:[0-9a-f]{64}, \\d+ bytes\\)`));
      expect(run.code).toBe(0);
    }
    const list = await runBerth(['code', 'list', '--json'], env());
    expect(JSON.parse(list.stdout).map((p: { name: string }) => p.name)).toEqual([
      'java-luhn',
      'ruby-wordcount',
      'thumbnailer',
      'tx-validator',
    ]);
  });

  it('tx-validator (node) accepts a valid IBAN and rejects a bad one', async () => {
    const ok = await submitJson(
      'tx-validator',
      '{"id":"t1","amount":1250,"currency":"EUR","iban":"DE89 3704 0044 0532 0130 00"}',
    );
    expect(ok.code).toBe(0);
    expect(ok.result).toMatchObject({ status: 'SUCCEEDED', codeName: 'tx-validator', codeRevision: 1 });
    expect(JSON.parse(ok.result.stdout as string)).toEqual({ id: 't1', valid: true, errors: [] });
    const bad = await submitJson(
      'tx-validator@1',
      '{"id":"t2","amount":-5,"currency":"XXX","iban":"DE00 3704 0044 0532 0130 00"}',
    );
    expect(JSON.parse(bad.result.stdout as string).errors).toHaveLength(3);
  });

  it('thumbnailer (python + ImageMagick on media) writes a PNG thumbnail', async () => {
    const { code, result } = await submitJson('thumbnailer', '{"width":48,"height":48}');
    expect(code).toBe(0);
    const stdout = JSON.parse(result.stdout as string);
    expect(stdout.width).toBeLessThanOrEqual(48);
    expect(stdout.height).toBeLessThanOrEqual(48);
    const out = (result.outputs as { name: string; base64: string }[])[0];
    expect(out?.name).toBe('thumb.png');
    expect(
      Buffer.from(out?.base64 ?? '', 'base64')
        .subarray(1, 4)
        .toString(),
    ).toBe('PNG');
  });

  it('ruby-wordcount and java-luhn; a failing task gives exit 1', async () => {
    const words = await submitJson('ruby-wordcount', '"the cat and the hat and the bat"');
    expect(JSON.parse(words.result.stdout as string)).toEqual({
      words: 8,
      top: [
        ['the', 3],
        ['and', 2],
        ['bat', 1],
        ['cat', 1],
        ['hat', 1],
      ],
    });
    const cards = join(tmpdir(), `cards-${h.prefix}.txt`);
    writeFileSync(cards, '4539 1488 0343 6467\n4539 1488 0343 6468\n');
    try {
      const luhn = await runBerth(['submit', 'java-luhn', '--wait', '--payload', `@${cards}`], env());
      expect(luhn.stdout).toBe('4539 1488 0343 6467 valid\n4539 1488 0343 6468 invalid\n');
      expect(luhn.stderr).toMatch(/FAILED, exit 1, code java-luhn@1/);
      expect(luhn.code).toBe(1);
    } finally {
      rmSync(cards, { force: true });
    }
  });

  it('berth run: inline command output, status as exit code, task lookup', async () => {
    const ok = await runBerth(['run', 'python-3.11', '--', 'python3', '-c', 'print(6*7)'], env());
    expect(ok.stdout).toBe('42\n');
    expect(ok.code).toBe(0);
    const id = /submitting task (\S+)/.exec(ok.stderr)?.[1];
    const task = await runBerth(['task', id ?? 'missing'], env());
    expect(task.stdout).toMatch(new RegExp(`^${id} attempt 1: SUCCEEDED, exit 0, stack python-3.11`));
    const failed = await runBerth(['run', 'shell', '--', 'sh', '-c', 'echo oops >&2; exit 3'], env());
    expect(failed.code).toBe(3); // the task's own exit code
    expect(failed.stderr).toMatch(/oops\n.*FAILED, exit 3/s);
  });

  it('berth status shows the worker; berth cancel stops a running task', async () => {
    const status = await runBerth(['status', '--json'], env());
    const workers = JSON.parse(status.stdout) as { workerId: string; state: string; slotsTotal: number }[];
    expect(workers).toEqual([expect.objectContaining({ state: 'RUNNING', slotsTotal: 2, stale: false })]);

    const client = new BerthClient({ brokers: ['127.0.0.1:9092'], topicPrefix: h.prefix });
    try {
      const waiting = client.submitAndWait(
        { id: `sleep-${h.prefix}`, inline: { stack: 'shell', command: ['sleep', '60'] } },
        { timeoutMs: 60_000 },
      );
      await new Promise((r) => setTimeout(r, 3000));
      const cancel = await runBerth(['cancel', `sleep-${h.prefix}`, '--reason', 'test'], env());
      expect(cancel.code).toBe(0);
      const result = await waiting;
      expect(result.status).toBe('CANCELLED');
    } finally {
      await client.close();
    }
  });
});
