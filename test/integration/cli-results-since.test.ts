import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { controlCodec } from '../../src/codecs/control-codec.js';
import { taskResultCodec } from '../../src/codecs/task-result-codec.js';
import type { TaskResult } from '../../src/domain/task-result.js';
import { scanTopic } from '../../src/kafka/client-topic-scan.js';
import { deleteBerthTopics, ensureTopics } from '../../src/kafka/kafka-admin.js';
import { createKafka } from '../../src/kafka/kafka-connection.js';
import { topicNames } from '../../src/kafka/topic-names.js';
import { runBerth, startBerth } from '../support/berth-cli.js';
import { taskResultFixture } from '../support/task-result.js';

/**
 * The compiled CLI against the real broker with no worker: results --since/--limit/--status/--id
 * on records with known timestamps, the no-worker warning, --version and unit-less durations.
 */
const prefix = `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 7)}`;
const topics = topicNames(prefix);
const kafka = createKafka({ brokers: ['127.0.0.1:9092'], clientId: `test-${prefix}` });
const env = { BERTH_TOPIC_PREFIX: prefix, BERTH_KAFKA_BROKERS: '127.0.0.1:9092' };
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
let producer: Producer;
const HOUR = 3_600_000;
const now = Date.now();

function result(id: string, status: TaskResult['status']): TaskResult {
  return taskResultFixture(id, status, { sourceTopic: topics.tasks, finishedAtMs: now });
}

beforeAll(async () => {
  await ensureTopics(kafka, prefix, 2);
  producer = kafka.producer();
  await producer.connect();
  // Three hours ago: old-1..old-4; ten minutes ago: new-1 (FAILED), new-2, new-3 (TIMED_OUT).
  const at = (id: string, status: TaskResult['status'], ts: number) => ({
    key: id,
    value: taskResultCodec.encode(result(id, status)),
    timestamp: String(ts),
    partition: 0,
  });
  await producer.send({
    topic: topics.results,
    messages: [
      at('old-1', 'SUCCEEDED', now - 3 * HOUR),
      at('old-2', 'FAILED', now - 3 * HOUR + 1),
      at('old-3', 'SUCCEEDED', now - 3 * HOUR + 2),
      at('old-4', 'SUCCEEDED', now - 3 * HOUR + 3),
      at('new-1', 'FAILED', now - 10 * 60_000),
      at('new-2', 'SUCCEEDED', now - 10 * 60_000 + 1),
      at('new-3', 'TIMED_OUT', now - 10 * 60_000 + 2),
    ],
  });
}, 120_000);

afterAll(async () => {
  await producer?.disconnect();
  await deleteBerthTopics(kafka, prefix);
});

const ids = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.split(' ')[0]);

describe('berth results filters', () => {
  it('--since DURATION and --since ISO start at the broker’s offset for that time', async () => {
    const recent = await runBerth(['results', '--since', '1h'], env);
    expect(recent.code).toBe(0);
    expect(ids(recent.stdout)).toEqual(['new-1', 'new-2', 'new-3']);
    const iso = new Date(now - 3 * HOUR + 2).toISOString();
    const fromIso = await runBerth(['results', '--since', iso], env);
    expect(ids(fromIso.stdout)).toEqual(['old-3', 'old-4', 'new-1', 'new-2', 'new-3']);
    const future = await runBerth(['results', '--since', new Date(now + HOUR).toISOString()], env);
    expect(future.stdout).toBe('');
    expect(future.stderr).toMatch(/0 result\(s\)/);
  });

  it('--limit stops early; --status and --id filter', async () => {
    const two = await runBerth(['results', '--limit', '2'], env);
    expect(ids(two.stdout)).toEqual(['old-1', 'old-2']);
    expect(two.stderr).toMatch(/2 result\(s\) \(--limit 2\)/);
    const failed = await runBerth(['results', '--status', 'failed,timed_out'], env);
    expect(ids(failed.stdout)).toEqual(['old-2', 'new-1', 'new-3']);
    const both = await runBerth(['results', '--since', '1h', '--status', 'FAILED', '--json'], env);
    expect(
      both.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).id),
    ).toEqual(['new-1']);
    const one = await runBerth(['results', '--id', 'old-4', '--id', 'new-2', '--limit', '1'], env);
    expect(ids(one.stdout)).toEqual(['old-4']);
  });

  it('bad filters are one line, exit 2', async () => {
    const cases: [string[], string][] = [
      [
        ['results', '--since', '30'],
        "berth results: --since: '30' is not a duration (a duration needs a unit: 30s or 30ms?)",
      ],
      [
        ['results', '--status', 'done'],
        "berth results: --status: 'DONE' is not one of SUCCEEDED, FAILED, TIMED_OUT, KILLED, CANCELLED, REJECTED",
      ],
      [['results', '--limit', 'ten'], "berth results: --limit: 'ten' is not a whole number"],
    ];
    for (const [args, line] of cases) {
      const r = await runBerth(args, env);
      expect(r.stderr.trim()).toBe(line);
      expect(r.code).toBe(2);
    }
  });
});

describe('berth CLI basics', () => {
  it('--version prints the package version', async () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const r = await runBerth([flag], {});
      expect(r.stdout).toBe(`berth ${pkg.version}\n`);
      expect(r.code).toBe(0);
    }
  });

  it('durations without a unit are refused before anything is sent (run: exit 125)', async () => {
    const r = await runBerth(['run', 'shell', '--timeout', '30', '--', 'true'], env);
    expect(r.stderr.trim()).toBe(
      "berth run: --timeout: '30' is not a duration (a duration needs a unit: 30s or 30ms?)",
    );
    expect(r.code).toBe(125);
    const s = await runBerth(['submit', 'pkg', '--timeout', '30'], env);
    expect(s.code).toBe(2);
  });

  it('berth run with no worker warns within seconds, keeps waiting, then exits 75 with the id', async () => {
    const run = startBerth(['run', 'shell', '--wait-timeout', '12s', '--', 'true'], env);
    const warnedAfterMs = await run.stderrMatch(/no live worker/);
    const code = await run.exited;
    const { stderr } = run.out();
    const id = /submitting task (\S+)/.exec(stderr)?.[1];
    const lines = stderr.trim().split('\n');
    expect(lines[1]).toMatch(
      new RegExp(
        `^berth run: no live worker: consumer group ${prefix}-workers has no members \\((Empty|Dead)\\); the task waits on ${prefix}\\.tasks until a worker starts \\(berth worker\\)\\. Still waiting up to 12 s$`,
      ),
    );
    expect(lines.at(-1)).toMatch(
      new RegExp(
        `no result for task ${id} within 12000 ms .*follow it with: berth results --follow --id ${id}`,
      ),
    );
    expect(code).toBe(75);
    expect(warnedAfterMs).toBeLessThan(8000);
    console.log(`no-worker warning ${warnedAfterMs} ms after start (including connect and submit)`);
  }, 60_000);

  it('Ctrl-C with no worker publishes the cancel; a second Ctrl-C detaches at once (exit 75)', async () => {
    const run = startBerth(['run', 'shell', '--', 'sleep', '120'], env);
    await run.stderrMatch(/no live worker/);
    const id = /submitting task (\S+)/.exec(run.out().stderr)?.[1] ?? '';
    run.child.kill('SIGINT');
    await run.stderrMatch(/cancel requested for task/);
    const sentAt = Date.now();
    run.child.kill('SIGINT');
    const code = await run.exited;
    const elapsedMs = Date.now() - sentAt;
    expect(run.out().stderr).toMatch(
      new RegExp(
        `stopped waiting; task ${id} may still run\\. follow it with: berth results --follow --id ${id}  \\(or later: berth task ${id}\\)`,
      ),
    );
    expect(code).toBe(75);
    expect(elapsedMs).toBeLessThan(5000);
    console.log(`second SIGINT to exit: ${elapsedMs} ms`);
    const cancels: string[] = [];
    await scanTopic(kafka, topics.control, (rec) => {
      if (rec.value) cancels.push(`${rec.key?.toString()} ${controlCodec.decode(rec.value).action}`);
    });
    expect(cancels).toEqual([`${id} CANCEL`]);
  }, 60_000);
});
