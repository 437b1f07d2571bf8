import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushCodePackage } from '../../src/code/code-push.js';
import type { TaskEvent } from '../../src/domain/task-event.js';
import type { TaskResult } from '../../src/domain/task-result.js';
import { KafkaCodeTopic } from '../../src/kafka/code-topic.js';
import type { Worker } from '../../src/worker/worker.js';
import { availableStacks, inlineEvent, WorkerHarness } from './worker-harness.js';

/**
 * HOT code packages through a real worker: tasks share at most maxConcurrency long-lived
 * containers, start faster than fresh ones, see nothing of the previous task, a timed-out task's
 * container is discarded, and nothing is left after the worker closes.
 */
const h = new WorkerHarness();
const tmp = mkdtempSync(join(tmpdir(), 'berth-hot-'));
const STACK = 'python-3.11';
const hasStack = availableStacks([STACK]).length === 1;
const name = `hot-${h.prefix}`;
const MAX_CONCURRENCY = 2;
let codeTopic: KafkaCodeTopic;
let worker: Worker;

/** Reports what the task can see of earlier tasks, then leaves traces of its own. */
const RUN_SH = [
  'set -u',
  'host=$(cat /etc/hostname)',
  'out=$(ls -A "$TASK_OUT" | wc -l)',
  'tmp=$(ls -A /tmp | wc -l)',
  "strays=$(cat /proc/[0-9]*/cmdline 2>/dev/null | tr '\\0' '\\n' | grep -c '^300$')",
  'echo "$host $out $tmp $strays $(cat "$PAYLOAD_FILE")"',
  'echo x > "$TASK_OUT/mark-$TASK_ID"; echo y > "/tmp/mark-$TASK_ID"',
  'setsid sh -c "sleep 300" </dev/null >/dev/null 2>&1 &',
  'if [ "$(cat "$PAYLOAD_FILE")" = sleep ]; then sleep 30; fi',
].join('\n');

beforeAll(async () => {
  await h.setUp(2);
  codeTopic = new KafkaCodeTopic({ kafka: h.kafka, topic: h.topics.code });
  const dir = join(tmp, 'pkg');
  mkdirSync(dir, { recursive: true });
  const manifest = { name, stack: STACK, command: ['sh', 'run.sh'], isolation: 'HOT' };
  writeFileSync(join(dir, 'berth.json'), JSON.stringify({ ...manifest, maxConcurrency: MAX_CONCURRENCY }));
  writeFileSync(join(dir, 'run.sh'), `${RUN_SH}\n`);
  await pushCodePackage({ dir, topic: codeTopic, runTemplate: async () => null });
  worker = await h.startWorker({
    slots: '4',
    prefetch: '4',
    prewarmStacks: STACK,
    warmPoolSize: '2',
    codeCacheDir: join(tmp, 'cache'),
  });
}, 120_000);

afterAll(async () => {
  await codeTopic?.close();
  await h.tearDown();
  rmSync(tmp, { recursive: true, force: true });
});

function hotEvent(id: string, payload: string, over: Partial<TaskEvent> = {}): TaskEvent {
  const base = inlineEvent(id, STACK, ['unused'], { payload: Buffer.from(payload), ...over });
  return { ...base, inline: null, code: { name, revision: null } };
}

/** Fields printed by run.sh: hostname, files in /task/out, files in /tmp, stray daemons, payload. */
function seen(r: TaskResult | undefined): { host: string; out: number; tmp: number; strays: number } {
  const [host = '', out = '', tmp = '', strays = ''] = Buffer.from(r?.stdout ?? [])
    .toString()
    .trim()
    .split(' ');
  return { host, out: Number(out), tmp: Number(tmp), strays: Number(strays) };
}

function hotContainers(): string[] {
  const out = execFileSync('docker', [
    'ps',
    '-aq',
    '--filter',
    `label=berth.package=${name}`,
    '--filter',
    `label=berth.test-run=${h.prefix}`,
    '--filter',
    'label=berth.isolation=hot',
  ])
    .toString()
    .trim();
  return out === '' ? [] : out.split('\n');
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

describe.runIf(hasStack)('HOT code packages through the worker', () => {
  it('serves 20 tasks from at most maxConcurrency clean containers, faster than fresh', async () => {
    const ids = Array.from({ length: 20 }, (_, i) => `hot-${i}`);
    const counts: number[] = [];
    const watch = setInterval(() => counts.push(hotContainers().length), 300);
    try {
      for (let i = 0; i < ids.length; i += 5) {
        await h.send(ids.slice(i, i + 5).map((id) => ({ event: hotEvent(id, id) })));
        await h.until(
          'hot batch',
          () => ids.slice(i, i + 5).every((id) => h.resultsFor(id).length > 0),
          60_000,
        );
      }
    } finally {
      clearInterval(watch);
    }
    const results = ids.map((id) => h.resultsFor(id)[0]);
    for (const r of results) expect(r?.status, r?.reason ?? '').toBe('SUCCEEDED');
    const views = results.map(seen);
    const hosts = new Set(views.map((v) => v.host));
    expect(hosts.size).toBeGreaterThanOrEqual(1);
    expect(hosts.size).toBeLessThanOrEqual(MAX_CONCURRENCY);
    expect(Math.max(...counts)).toBeLessThanOrEqual(MAX_CONCURRENCY);
    // every task left files and a setsid daemon behind; none of them survives into the next task
    expect(views.map((v) => [v.out, v.tmp, v.strays])).toEqual(views.map(() => [0, 0, 0]));
    expect(results.every((r) => r?.outputs.length === 1)).toBe(true);

    const freshIds = Array.from({ length: 10 }, (_, i) => `fresh-${i}`);
    for (const id of freshIds) {
      await h.send([{ event: inlineEvent(id, STACK, ['sh', '-c', 'cat /etc/hostname']) }]);
      await h.until('fresh task', () => h.resultsFor(id).length > 0, 60_000);
    }
    const fresh = freshIds.map((id) => h.resultsFor(id)[0]?.startLatencyMs ?? Number.NaN);
    const hot = results.slice(5).map((r) => r?.startLatencyMs ?? Number.NaN);
    process.stderr.write(`start latency median: hot ${median(hot)} ms, fresh ${median(fresh)} ms\n`);
    expect(median(hot)).toBeLessThan(median(fresh));
  }, 240_000);

  it('discards the container of a timed-out task; the next task runs in another one', async () => {
    await h.send([{ event: hotEvent('hot-timeout', 'sleep', { timeoutMs: 1500 }) }]);
    await h.until('timeout result', () => h.resultsFor('hot-timeout').length > 0, 60_000);
    const [timedOut] = h.resultsFor('hot-timeout');
    expect(timedOut?.status).toBe('TIMED_OUT');
    const doomed = seen(timedOut).host;
    expect(doomed).toMatch(/^[0-9a-f]{12}$/);
    await h.until(
      'timed-out container removed',
      () => !hotContainers().some((id) => id.startsWith(doomed)),
      10_000,
    );
    const after = ['hot-after-0', 'hot-after-1', 'hot-after-2'];
    await h.send(after.map((id) => ({ event: hotEvent(id, id) })));
    await h.until('after results', () => after.every((id) => h.resultsFor(id).length > 0), 60_000);
    for (const id of after) {
      const [r] = h.resultsFor(id);
      expect(r?.status, r?.reason ?? '').toBe('SUCCEEDED');
      expect(seen(r).host).not.toBe(doomed);
    }
  }, 120_000);

  it.runIf(availableStacks(['node-20']).length === 1)(
    'runs the tx-validator-hot example in one hot container',
    async () => {
      const dir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples', 'tx-validator-hot');
      await pushCodePackage({
        dir,
        topic: codeTopic,
        runTemplate: async (s) => (s === 'node-20' ? ['node', '{entry}'] : null),
      });
      const tx = { id: 'x', amount: 1250, currency: 'EUR', iban: 'DE89 3704 0044 0532 0130 00' };
      const ids = ['tx-0', 'tx-1', 'tx-2', 'tx-3'];
      const events = ids.map((id) => {
        const base = inlineEvent(id, 'node-20', ['unused'], {
          payload: Buffer.from(JSON.stringify({ ...tx, id })),
        });
        return { event: { ...base, inline: null, code: { name: 'tx-validator-hot', revision: null } } };
      });
      await h.send(events);
      await h.until('tx results', () => ids.every((id) => h.resultsFor(id).length > 0), 60_000);
      for (const id of ids) {
        const [r] = h.resultsFor(id);
        expect(r?.status, r?.reason ?? '').toBe('SUCCEEDED');
        expect(JSON.parse(Buffer.from(r?.stdout ?? []).toString())).toEqual({ id, valid: true, errors: [] });
      }
      const labelled = execFileSync('docker', [
        'ps',
        '-q',
        '--filter',
        'label=berth.package=tx-validator-hot',
        '--filter',
        `label=berth.test-run=${h.prefix}`,
      ])
        .toString()
        .trim()
        .split('\n')
        .filter((l) => l !== '');
      expect(labelled.length).toBeGreaterThanOrEqual(1);
      expect(labelled.length).toBeLessThanOrEqual(2);
    },
    120_000,
  );

  it('leaves no hot container once the worker closed', async () => {
    expect(hotContainers().length).toBeGreaterThan(0);
    await worker.close();
    expect(hotContainers()).toEqual([]);
  }, 60_000);
});
