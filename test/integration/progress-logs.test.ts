import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BerthClient } from '../../src/client/berth-client.js';
import { pushCodePackage } from '../../src/code/code-push.js';
import type { TaskProgress } from '../../src/domain/task-progress.js';
import { KafkaCodeTopic } from '../../src/kafka/code-topic.js';
import { type LiveBerth, runBerth, startBerth } from '../support/berth-cli.js';
import { availableStacks, inlineEvent, WorkerHarness } from './worker-harness.js';

/**
 * Live output and progress through a real worker process (dist/cli/main.js worker, shared broker,
 * random topic prefix): `berth logs --follow` shows a task's output and progress while it runs,
 * `berth task` shows its progress, a function handler's progress() reaches the SDK's onProgress,
 * and a cancel with a reason keeps the reason and the output printed so far (fresh, HOT process
 * and function isolation).
 */
const h = new WorkerHarness();
const tmp = mkdtempSync(join(tmpdir(), 'berth-progress-'));
const env = () => ({ BERTH_TOPIC_PREFIX: h.prefix, BERTH_KAFKA_BROKERS: '127.0.0.1:9092' });
const NEEDED = ['shell', 'node-20', 'python-3.11', 'ruby-3.3', 'php-8.2', 'java-17'];
let worker: LiveBerth;
let client: BerthClient;

async function pushPackage(name: string, manifest: Record<string, unknown>, files: Record<string, string>) {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  writeFileSync(join(dir, 'berth.json'), JSON.stringify({ name, ...manifest }));
  await pushCodePackage({
    dir,
    topic: new KafkaCodeTopic({ kafka: h.kafka, topic: h.topics.code }),
    runTemplate: async () => null,
  });
}

const NODE_HANDLER = `exports.handle = async (payload, ctx) => {
  const what = payload.toString();
  console.log('fn-start ' + ctx.taskId);
  ctx.progress(25, 'quarter');
  await new Promise((r) => setTimeout(r, 700));
  ctx.progress(75, 'three quarters');
  if (what === 'sleep') await new Promise((r) => setTimeout(r, 60000));
  await new Promise((r) => setTimeout(r, 700));
  return 'done';
};
`;

/** One handler per other runtime: two progress reports 0.7 s apart, then a value. */
const OTHER_RUNTIMES: Record<string, { stack: string; handler: string; file: string; text: string }> = {
  python: {
    stack: 'python-3.11',
    handler: 'app.py:handle',
    file: 'app.py',
    text: `import time

def handle(payload, ctx):
    ctx.progress(30, "python thirty")
    time.sleep(0.7)
    ctx.progress(60.5, "python sixty")
    time.sleep(0.7)
    return "ok"
`,
  },
  ruby: {
    stack: 'ruby-3.3',
    handler: 'app.rb:handle',
    file: 'app.rb',
    text: `def handle(payload, ctx)
  ctx.progress(30, 'ruby thirty')
  sleep 0.7
  ctx.progress(60.5, 'ruby sixty')
  sleep 0.7
  'ok'
end
`,
  },
  php: {
    stack: 'php-8.2',
    handler: 'app.php:handle',
    file: 'app.php',
    text: `<?php
function handle(string $payload, array $ctx) {
    ($ctx['progress'])(30, 'php thirty');
    usleep(700000);
    ($ctx['progress'])(60.5, 'php sixty');
    usleep(700000);
    return 'ok';
}
`,
  },
  java: {
    stack: 'java-17',
    handler: 'App.java:handle',
    file: 'App.java',
    text: `import berth.Context;
public class App {
  public static Object handle(byte[] payload, Context ctx) throws Exception {
    ctx.progress(30, "java thirty");
    Thread.sleep(700);
    ctx.progress(60.5, "java sixty");
    Thread.sleep(700);
    return "ok";
  }
}
`,
  },
};

beforeAll(async () => {
  const missing = NEEDED.filter((s) => !availableStacks([s]).length);
  if (missing.length > 0) throw new Error(`stacks not built: ${missing.join(', ')} (run berth stacks build)`);
  await h.setUp(2);
  await pushPackage(
    'progress-fn',
    { stack: 'node-20', handler: 'app.js:handle', maxConcurrency: 2 },
    { 'app.js': NODE_HANDLER },
  );
  for (const [language, r] of Object.entries(OTHER_RUNTIMES))
    await pushPackage(
      `progress-${language}`,
      { stack: r.stack, handler: r.handler, maxConcurrency: 1 },
      { [r.file]: r.text },
    );
  await pushPackage(
    'progress-hot',
    {
      stack: 'shell',
      isolation: 'HOT',
      command: ['bash', '-c', 'echo hot-before; echo "10 hot" >&3; sleep 60'],
    },
    {},
  );
  worker = startBerth(['worker'], {
    ...env(),
    BERTH_WORKER_ID: `w-${h.prefix}`,
    BERTH_SLOTS: '4',
    BERTH_WARM_POOL_SIZE: '1',
    BERTH_PREWARM_STACKS: 'shell',
    BERTH_PROGRESS_INTERVAL_MS: '200',
    BERTH_CODE_CACHE_DIR: join(tmp, 'cache'),
    BERTH_CONTAINER_LABELS: Object.entries(h.labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(','),
  });
  await worker.stderrMatch(/running: \d+ slots/);
  client = new BerthClient({ brokers: ['127.0.0.1:9092'], topicPrefix: h.prefix });
}, 180_000);

afterAll(async () => {
  await client?.close();
  worker?.child.kill('SIGTERM');
  await worker?.exited;
  await h.tearDown();
  rmSync(tmp, { recursive: true, force: true });
}, 120_000);

describe('progress and live logs through a worker process', () => {
  it('berth logs --follow shows output and progress while the task runs; berth task shows the progress', async () => {
    const id = `logs-${h.prefix}`;
    const logs = startBerth(['logs', id, '--follow'], env());
    const script =
      'for i in 1 2 3; do echo "step $i"; echo "$((i*33)) working on $i" >&$BERTH_PROGRESS_FD; sleep 1; done; sleep 5; echo "all done" >&2';
    const sentAt = Date.now();
    await h.send([{ event: inlineEvent(id, 'shell', ['bash', '-c', script]) }]);
    // The first progress line appears while the task still runs: well before its result.
    const firstProgressMs = await logs.stderrMatch(/\[berth\] progress 33% working on 1/);
    const seenAt = Date.now();
    expect(h.resultsFor(id)).toEqual([]);
    const task = await runBerth(['task', id], env());
    expect(task.code).toBe(1); // no result yet
    expect(task.stdout).toMatch(
      new RegExp(`${id}\\s+RUNNING\\s+attempt 1 on w-${h.prefix}\\s+progress \\d+% working on \\d`),
    );
    const code = await logs.exited;
    const { stdout, stderr } = logs.out();
    const result = h.resultsFor(id)[0];
    expect(result?.status).toBe('SUCCEEDED');
    expect(code).toBe(0);
    expect(stdout).toBe('step 1\nstep 2\nstep 3\n');
    expect(stderr).toMatch(/progress 66% working on 2[\s\S]*progress 99% working on 3/);
    expect(stderr).toMatch(/all done\n[\s\S]*SUCCEEDED/); // the tail came from the result
    // Without --follow: what was streamed, from the topic (the steps; "all done" never streamed).
    const recorded = await runBerth(['logs', id], env());
    expect(recorded.code).toBe(0);
    expect(recorded.stdout).toBe('step 1\nstep 2\nstep 3\n');
    expect(recorded.stderr).toMatch(/\[berth\] progress 33% working on 1\n[\s\S]*progress 99% working on 3/);
    const none = await runBerth(['logs', `nothing-${id}`], env());
    expect(none.code).toBe(1);
    expect(result ? result.finishedAtMs - seenAt : 0).toBeGreaterThan(1000);
    expect(firstProgressMs).toBeGreaterThan(0);
    expect(seenAt - sentAt).toBeLessThan(30_000);
    console.log(
      `berth logs --follow: first progress line ${seenAt - sentAt} ms after submit, ${result ? result.finishedAtMs - seenAt : '?'} ms before the task ended`,
    );
  }, 120_000);

  it("a function handler's progress() reaches onProgress (node, python, ruby, php, java)", async () => {
    const seen: TaskProgress[] = [];
    const node = await client.submitAndWait(
      { code: 'progress-fn', payload: 'ok' },
      { timeoutMs: 120_000, onProgress: (p) => seen.push(p) },
    );
    expect(node.status).toBe('SUCCEEDED');
    const reports = (ps: TaskProgress[]) =>
      ps.filter((p) => p.percent !== null).map((p) => [p.percent, p.message]);
    expect(reports(seen)).toEqual([
      [25, 'quarter'],
      [75, 'three quarters'],
    ]);
    expect(seen.every((p) => p.taskId === node.id && p.attempt === 1 && p.workerId === `w-${h.prefix}`)).toBe(
      true,
    );
    const others = await Promise.all(
      Object.keys(OTHER_RUNTIMES).map(async (language) => {
        const got: TaskProgress[] = [];
        const r = await client.submitAndWait(
          { code: `progress-${language}`, payload: 'ok' },
          { timeoutMs: 150_000, onProgress: (p) => got.push(p) },
        );
        return { language, status: r.status, reports: reports(got) };
      }),
    );
    expect(others).toEqual(
      Object.keys(OTHER_RUNTIMES).map((language) => ({
        language,
        status: 'SUCCEEDED',
        reports: [
          [30, `${language} thirty`],
          [60.5, `${language} sixty`],
        ],
      })),
    );
  }, 240_000);

  it('cancel with a reason keeps the reason and the output so far (fresh, HOT process, function)', async () => {
    const ids = { fresh: `cf-${h.prefix}`, hot: `ch-${h.prefix}`, fn: `cn-${h.prefix}` };
    const progress = client.progress(Object.values(ids), {});
    await progress.ready;
    const started = new Set<string>();
    const watching = (async () => {
      for await (const p of progress) {
        if (p.stdout.byteLength > 0 || p.percent !== null) started.add(p.taskId);
      }
    })();
    await h.send([
      {
        event: inlineEvent(ids.fresh, 'shell', ['bash', '-c', 'echo fresh-before; echo oops >&2; sleep 60']),
      },
    ]);
    await client.submit({ id: ids.hot, code: 'progress-hot' });
    await client.submit({ id: ids.fn, code: 'progress-fn', payload: 'sleep' });
    await h.until('all three running', () => started.size === 3, 90_000);
    const cancelAt = Date.now();
    for (const id of Object.values(ids)) {
      const run = await runBerth(['cancel', id, '--reason', 'operator stop'], env());
      expect(run.code).toBe(0);
    }
    await h.until(
      'three results',
      () => Object.values(ids).every((id) => h.resultsFor(id).length > 0),
      60_000,
    );
    console.log(
      `three cancels (berth cancel processes, one after another) to three CANCELLED results: ${Date.now() - cancelAt} ms`,
    );
    await progress.return?.();
    await watching;
    const text = (b: Uint8Array | undefined) => Buffer.from(b ?? []).toString();
    for (const [mode, id] of Object.entries(ids)) {
      const r = h.resultsFor(id)[0];
      expect({ mode, status: r?.status, reason: r?.reason }).toEqual({
        mode,
        status: 'CANCELLED',
        reason: 'cancelled: operator stop',
      });
    }
    expect(text(h.resultsFor(ids.fresh)[0]?.stdout)).toBe('fresh-before\n');
    expect(text(h.resultsFor(ids.fresh)[0]?.stderr)).toBe('oops\n');
    expect(text(h.resultsFor(ids.hot)[0]?.stdout)).toBe('hot-before\n');
    expect(text(h.resultsFor(ids.fn)[0]?.stdout)).toBe(`fn-start ${ids.fn}\n`);
  }, 180_000);
  it('a task printing fast is published rate-limited and within the byte budget; its result is whole', async () => {
    const id = `flood-${h.prefix}`;
    const stream = client.progress(id);
    await stream.ready;
    const records: TaskProgress[] = [];
    const reading = (async () => {
      for await (const p of stream) records.push(p);
    })();
    // About 2 MB of stdout over about 2 s, with a progress report every line.
    const script =
      'for i in $(seq 1 200); do head -c 10000 /dev/zero | tr "\\0" x; echo; echo "$((i/2)) line $i" >&3; sleep 0.01; done';
    const t0 = Date.now();
    await h.send([{ event: inlineEvent(id, 'shell', ['bash', '-c', script]) }]);
    await h.until('flood result', () => h.resultsFor(id).length > 0, 60_000);
    const r = h.resultsFor(id)[0];
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await stream.return?.();
    await reading;
    expect(r?.status).toBe('SUCCEEDED');
    expect(r?.stdoutTruncated).toBe(true); // the result keeps its own 1 MiB cap
    expect(r?.stdout.byteLength).toBe(1024 * 1024);
    const runMs = (r?.finishedAtMs ?? 0) - t0;
    const streamed = records.reduce((n, p) => n + p.stdout.byteLength, 0);
    // 200 ms between records of the attempt (BERTH_PROGRESS_INTERVAL_MS), plus the closing one.
    expect(records.length).toBeGreaterThan(2);
    expect(records.length).toBeLessThanOrEqual(Math.ceil(runMs / 200) + 2);
    expect(records.map((p) => p.seq)).toEqual(records.map((_, i) => i));
    expect(streamed).toBeLessThanOrEqual(256 * 1024); // BERTH_PROGRESS_MAX_BYTES_PER_TASK default
    expect(records.at(-1)?.droppedBytes).toBeGreaterThan(0);
    expect(streamed + (records.at(-1)?.droppedBytes ?? 0)).toBeLessThanOrEqual(1024 * 1024);
    expect(records.filter((p) => p.percent !== null).length).toBeGreaterThan(1);
    console.log(
      `flood: ${records.length} progress records over ${runMs} ms, ${streamed} bytes streamed, ${records.at(-1)?.droppedBytes} dropped, result ${r?.stdout.byteLength} bytes (truncated)`,
    );
  }, 120_000);
});
