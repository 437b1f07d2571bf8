import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { taskResultCodec } from '../../src/codecs/task-result-codec.js';
import { workerStatsCodec } from '../../src/codecs/worker-stats-codec.js';
import type { TaskResult } from '../../src/domain/task-result.js';
import { deleteBerthTopics, ensureTopics } from '../../src/kafka/kafka-admin.js';
import { createKafka } from '../../src/kafka/kafka-connection.js';
import { topicNames } from '../../src/kafka/topic-names.js';
import { runBerth } from '../support/berth-cli.js';
import { taskResultFixture } from '../support/task-result.js';

/** The compiled CLI against the real broker, without a worker: listings, errors and exit codes. */
const prefix = `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 7)}`;
const topics = topicNames(prefix);
const kafka = createKafka({ brokers: ['127.0.0.1:9092'], clientId: `test-${prefix}` });
const env = { BERTH_TOPIC_PREFIX: prefix, BERTH_KAFKA_BROKERS: '127.0.0.1:9092' };
const tmp = mkdtempSync(join(tmpdir(), 'berth-cli-it-'));
let producer: Producer;

function result(id: string, attempt: number, status: TaskResult['status']): TaskResult {
  return taskResultFixture(id, status, {
    attempt,
    reason: status === 'SUCCEEDED' ? null : 'exit code 1',
    stdout: Buffer.from(`out ${attempt}\n`),
    sourceTopic: topics.tasks,
    sourceOffset: String(attempt),
  });
}

beforeAll(async () => {
  await ensureTopics(kafka, prefix, 2);
  producer = kafka.producer();
  await producer.connect();
  await producer.send({
    topic: topics.results,
    messages: [
      { key: 'job-1', value: taskResultCodec.encode(result('job-1', 1, 'FAILED')) },
      { key: 'job-1', value: taskResultCodec.encode(result('job-1', 2, 'SUCCEEDED')) },
      { key: 'job-2', value: taskResultCodec.encode(result('job-2', 1, 'SUCCEEDED')) },
      { key: 'junk', value: Buffer.from('not avro') },
    ],
  });
  const stats = (reportedAtMs: number, slotsBusy: number) =>
    workerStatsCodec.encode({
      workerId: 'w-fake',
      host: 'h',
      state: 'RUNNING',
      startedAtMs: 0,
      reportedAtMs,
      slotsTotal: 4,
      slotsBusy,
      memoryBudgetBytes: 2 ** 31,
      memoryUsedBytes: 2 ** 28,
      bufferedTasks: 1,
      partitions: [{ topic: topics.tasks, partition: 0, paused: true, lag: 7 }],
      tasksSucceeded: 5,
      tasksFailed: 1,
      tasksOther: 0,
      warmContainers: {},
    });
  await producer.send({
    topic: topics.metrics,
    messages: [
      { key: 'w-fake', value: stats(Date.now() - 2000, 1) },
      { key: 'w-fake', value: stats(Date.now(), 3) },
    ],
  });
});

afterAll(async () => {
  await producer?.disconnect();
  await deleteBerthTopics(kafka, prefix);
  rmSync(tmp, { recursive: true, force: true });
});

describe('berth CLI against the broker', () => {
  it('every producer command has --help', async () => {
    for (const cmd of ['submit', 'run', 'results', 'task', 'cancel', 'status', 'code']) {
      const r = await runBerth([cmd, '--help'], env);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^usage: berth ${cmd}`));
      expect(r.stdout).toMatch(/exit codes/);
    }
  });

  it('task ID lists every attempt; results lists all and filters by id; junk is skipped', async () => {
    const task = await runBerth(['task', 'job-1'], env);
    expect(task.code).toBe(0);
    expect(task.stdout.trim().split('\n')).toEqual([
      expect.stringMatching(/^job-1 attempt 1: FAILED, exit 1/),
      expect.stringMatching(/^job-1 attempt 2: SUCCEEDED, exit 0/),
    ]);
    const json = await runBerth(['task', 'job-1', '--json'], env);
    expect(JSON.parse(json.stdout).map((r: TaskResult) => r.stdout)).toEqual(['out 1\n', 'out 2\n']);
    const missing = await runBerth(['task', 'nope'], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no result for task nope/);
    const all = await runBerth(['results'], env);
    expect(all.stdout.trim().split('\n')).toHaveLength(3);
    const some = await runBerth(['results', '--id', 'job-2', '--json'], env);
    expect(
      some.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).id),
    ).toEqual(['job-2']);
  });

  it('status shows the newest snapshot per worker', async () => {
    const r = await runBerth(['status'], env);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^WORKER\s+STATE\s+SLOTS/);
    expect(lines[1]).toMatch(/^w-fake\s+RUNNING\s+3\/4\s+256\/2048 MiB\s+1\s+1 \(1 paused\)\s+7\s+5\/1\/0/);
    expect(lines).toHaveLength(2);
  });

  it('one clear line and exit 2 for bad input', async () => {
    const cases: [string[], RegExp][] = [
      [['submit', 'pkg', '--payload', '{nope'], /^berth submit: --payload is not valid JSON/],
      [['submit'], /^berth submit: expected exactly one CODE/],
      [['submit', 'pkg', '--priority', '7'], /^berth submit: invalid task: priority 7/],
      [['submit', 'pkg', '--timeout', '2h'], /^berth submit: invalid task: timeoutMs 7200000/],
      [['submit', 'pkg', '--bogus'], /^berth submit: .*bogus/],
      [['code', 'frobnicate'], /^berth code: expected push, list or show/],
      [['code', 'push', join(tmp, 'none')], /^berth code: .* is not a directory/],
    ];
    for (const [args, message] of cases) {
      const r = await runBerth(args, env);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
      expect(r.code, args.join(' ')).toBe(2);
    }
    // Commands that pass a task's exit code through report their own errors as 125.
    const run = await runBerth(['run', 'python-3.11'], env);
    expect(run.stderr.trim()).toBe('berth run: expected STACK -- COMMAND [ARG...]');
    expect(run.code).toBe(125);
  });

  it('a payload over the worker cap is refused before connecting: one line, exit 2; the cap is settable', async () => {
    const payload = JSON.stringify('x'.repeat(65 * 1024 - 2)); // 65 KiB of JSON
    const file = join(tmp, 'big.bin');
    writeFileSync(file, Buffer.alloc(65 * 1024, 1));
    const message = (bytes: number, cap: number) =>
      `payload of task t-big is ${bytes} bytes, over the payload cap of ${cap} bytes (workers dead-letter larger payloads as too_large); --payload-cap-bytes / BERTH_PAYLOAD_CAP_BYTES set the cap`;
    const unreachable = { ...env, BERTH_KAFKA_BROKERS: '127.0.0.1:1' };
    const refused: [string[], NodeJS.ProcessEnv, string][] = [
      [['submit', 'pkg', '--id', 't-big', '--payload', payload], env, message(66_560, 65_536)],
      [
        ['submit', 'pkg', '--id', 't-big', '--payload', payload, '--wait'],
        unreachable,
        message(66_560, 65_536),
      ],
      [
        ['submit', 'pkg', '--id', 't-big', '--payload', '"abc"'],
        { ...env, BERTH_PAYLOAD_CAP_BYTES: '4' },
        message(5, 4),
      ],
      [
        ['submit', 'pkg', '--id', 't-big', '--payload', '"abc"', '--payload-cap-bytes', '3'],
        env,
        message(5, 3),
      ],
    ];
    for (const [args, e, line] of refused) {
      const r = await runBerth(args, e);
      expect(r.stderr.trim(), args.join(' ').slice(0, 80)).toBe(`berth submit: ${line}`);
      expect(r.code).toBe(args.includes('--wait') ? 125 : 2);
    }
    const run = await runBerth(['run', 'shell', '--payload', `@${file}`, '--', 'true'], unreachable);
    expect(run.code).toBe(125);
    expect(run.stderr.trim()).toMatch(
      /^berth run: payload of task \S+ is 66560 bytes, over the payload cap of 65536 bytes/,
    );
    const badCap = await runBerth(['submit', 'pkg', '--payload', '1'], {
      ...env,
      BERTH_PAYLOAD_CAP_BYTES: 'lots',
    });
    expect(badCap.code).toBe(2);
    expect(badCap.stderr.trim()).toBe(
      "berth submit: --payload-cap-bytes / BERTH_PAYLOAD_CAP_BYTES must be an integer in [1, 16777216], got 'lots'",
    );
    // Raised for CLI and workers alike: the same payload is published.
    const sent = await runBerth(['submit', 'pkg', '--id', 't-big-ok', '--payload', payload], {
      ...env,
      BERTH_PAYLOAD_CAP_BYTES: String(128 * 1024),
    });
    expect(sent.stderr).toBe('');
    expect(sent.code).toBe(0);
    expect(sent.stdout.trim()).toBe('t-big-ok');
  });

  it('a manifest with missing fields names each field; exit 2', async () => {
    const dir = join(tmp, 'bad-pkg');
    mkdirSync(dir);
    writeFileSync(join(dir, 'berth.json'), JSON.stringify({ name: 'bad', timeoutMs: -1 }));
    const r = await runBerth(['code', 'push', dir], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^berth code: berth\.json: stack: required; command: required \(or "entry"\); timeoutMs: must be an integer/,
    );
  });

  it('code show of an unknown package: exit 1', async () => {
    const r = await runBerth(['code', 'show', 'ghost'], env);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe("berth code: unknown code package 'ghost'");
  });

  it('missing topics (wrong prefix) are one line and exit 1', async () => {
    const r = await runBerth(['code', 'list'], { ...env, BERTH_TOPIC_PREFIX: `${prefix}-none` });
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(
      `berth code: reading ${prefix}-none.code failed: the topic does not exist (berth infra up creates Berth's topics; check BERTH_TOPIC_PREFIX)`,
    );
  });

  it('an unreachable broker fails within a few seconds with exit 3', async () => {
    for (const brokers of ['127.0.0.1:1', '10.255.255.1:9092']) {
      const started = Date.now();
      const r = await runBerth(['submit', 'pkg'], { ...env, BERTH_KAFKA_BROKERS: brokers });
      const elapsedMs = Date.now() - started;
      expect(r.code).toBe(3);
      expect(r.stderr.trim()).toBe(
        `berth submit: Kafka broker unreachable at ${brokers} (is it running? berth infra status)`,
      );
      expect(elapsedMs).toBeLessThan(6000);
      console.log(`unreachable ${brokers}: exit 3 after ${elapsedMs} ms`);
    }
  });
});
