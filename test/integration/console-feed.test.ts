import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BerthClient } from '../../src/client/berth-client.js';
import { ConsoleResultSource } from '../../src/client/console-result-source.js';
import { taskResultCodec } from '../../src/codecs/task-result-codec.js';
import { loadConsoleConfig } from '../../src/console/console-config.js';
import { type RunningConsole, startConsole } from '../../src/console/console-service.js';
import { openStore } from '../../src/console/store-connection.js';
import type { TaskResult } from '../../src/domain/task-result.js';
import { runBerth } from '../support/berth-cli.js';
import { consoleResult } from '../support/console-rows.js';
import { WorkerHarness } from './worker-harness.js';

/**
 * The console's feed against the real broker: results published while consoles start, stop and
 * run side by side on one store are each stored exactly once; the CLI and the SDK read them back
 * through the API.
 */
const h = new WorkerHarness();
const dir = mkdtempSync(join(tmpdir(), 'berth-console-feed-'));
const db = join(dir, 'store.sqlite');
const running: RunningConsole[] = [];
const env = () => ({ BERTH_TOPIC_PREFIX: h.prefix, BERTH_KAFKA_BROKERS: '127.0.0.1:9092' });

const result = (i: number): TaskResult =>
  consoleResult(`feed-${i}`, {
    status: i % 4 === 0 ? 'FAILED' : 'SUCCEEDED',
    exitCode: i % 4 === 0 ? 1 : 0,
    stdout: Buffer.from([0xff, 0x00, ...Buffer.from(`out ${i}\n`)]),
    sourceTopic: h.topics.tasks,
    sourceOffset: String(i),
    finishedAtMs: Date.now() - 60_000 + i,
  });

async function publish(from: number, to: number, times = 1): Promise<void> {
  const records = [];
  for (let i = from; i < to; i++) {
    for (let k = 0; k < times; k++)
      records.push({ key: `feed-${i}`, raw: taskResultCodec.encode(result(i)) });
  }
  for (const r of records) await h.sendRaw(h.topics.results, r.key, r.raw);
}

async function start(): Promise<RunningConsole> {
  const c = await startConsole(loadConsoleConfig({ port: '0', db }, { ...process.env, ...env() }));
  running.push(c);
  return c;
}

async function storedCounts(): Promise<{ tasks: number; attempts: number }> {
  const conn = openStore({ kind: 'sqlite', path: db });
  try {
    const tasks = await conn.db
      .selectFrom('tasks')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    const attempts = await conn.db
      .selectFrom('attempts')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    return { tasks: Number(tasks.n), attempts: Number(attempts.n) };
  } finally {
    await conn.close();
  }
}

beforeAll(() => h.setUp(2), 120_000);
afterAll(async () => {
  for (const c of running) await c.close();
  await h.tearDown();
  rmSync(dir, { recursive: true, force: true });
});

describe('console feed', () => {
  it('stores every result once across a restart and a second console on the same store', async () => {
    await publish(0, 40, 2); // each record twice, as a worker re-publishing after a crash would
    const a = await start();
    await h.until('the first results stored', () => a.feed.counters.results >= 80, 60_000);
    await a.close();
    await publish(40, 80);
    const [b, c] = [await start(), await start()];
    await publish(80, 120);
    await h.until(
      'all results stored by the two consoles',
      () => b.feed.counters.results + c.feed.counters.results >= 80,
      60_000,
    );
    await new Promise((r) => setTimeout(r, 1500));
    expect(await storedCounts()).toEqual({ tasks: 120, attempts: 120 });
    const summary = (await (await fetch(new URL('api/summary', b.url))).json()) as {
      statuses: Record<string, number>;
    };
    expect(summary.statuses).toEqual({ FAILED: 30, SUCCEEDED: 90 });
  }, 180_000);

  it('answers berth task, berth results and the SDK through the API', async () => {
    const c = running.at(-1) as RunningConsole;
    const task = await runBerth(['task', 'feed-8', '--json'], { ...env(), BERTH_CONSOLE_URL: c.url });
    expect(task.code).toBe(0);
    const printed = JSON.parse(task.stdout) as { id: string; status: string; stdout: string }[];
    expect(printed.map((r) => [r.id, r.status])).toEqual([['feed-8', 'FAILED']]);
    const missing = await runBerth(['task', 'no-such-task'], { ...env(), BERTH_CONSOLE_URL: c.url });
    expect(missing.code).toBe(1);
    const failed = await runBerth(['results', '--status', 'failed', '--limit', '5'], {
      ...env(),
      BERTH_CONSOLE_URL: c.url,
    });
    expect(failed.code).toBe(0);
    const lines = failed.stdout.trim().split('\n');
    expect(lines).toHaveLength(5);
    for (const line of lines) expect(line).toMatch(/^feed-\d+ attempt 1: FAILED/);
    const client = new BerthClient({
      brokers: ['127.0.0.1:9092'],
      topicPrefix: h.prefix,
      resultSource: new ConsoleResultSource(c.url),
    });
    try {
      const r = await client.getResult('feed-13');
      expect(r?.status).toBe('SUCCEEDED');
      expect(Buffer.from(r?.stdout ?? []).equals(Buffer.from(result(13).stdout))).toBe(true);
      expect(await client.getResult('no-such-task')).toBeNull();
    } finally {
      await client.close();
    }
  }, 120_000);
});
