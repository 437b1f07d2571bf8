import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BerthClient } from '../client/berth-client.js';
import { kafkaSecurityFromEnv } from '../config/kafka-security-config.js';
import type { TaskResult } from '../domain/task-result.js';
import { checkResult, reportLines } from './demo-report.js';
import type { DemoWorker } from './demo-worker.js';
import { DEMO_PACKAGES, type DemoTask } from './demo-workload.js';

const run = promisify(execFile);

export interface DemoRunOptions {
  readonly cli: string;
  readonly examplesDir: string;
  readonly brokers: readonly string[];
  /** The installation's topic prefix (BERTH_TOPIC_PREFIX): the worker and `berth code push` use it too. */
  readonly topicPrefix: string;
  readonly tasks: readonly DemoTask[];
  readonly timeoutMs: number;
  readonly log: (line: string) => void;
}

/** Pushes the example packages with `berth code push` (the same command users run) to `opts.brokers`. */
export async function pushExamples(opts: DemoRunOptions): Promise<void> {
  const env = { ...process.env, BERTH_KAFKA_BROKERS: opts.brokers.join(',') };
  for (const name of DEMO_PACKAGES) {
    const { stdout } = await run(process.execPath, [opts.cli, 'code', 'push', join(opts.examplesDir, name)], {
      env,
    }).catch((err: { stderr?: string }) => {
      const why = (err.stderr ?? '').trim().split('\n').pop();
      throw new Error(`pushing example ${name} failed: ${why}`);
    });
    opts.log(`pushed ${name}: ${stdout.trim().split('\n').pop()}`);
  }
}

/** Submits the workload, collects a result per task, and returns the problems found (empty = all good). */
export async function runWorkload(
  opts: DemoRunOptions,
  worker: Pick<DemoWorker, 'metricsUrl'>,
): Promise<string[]> {
  const client = new BerthClient({
    brokers: opts.brokers,
    topicPrefix: opts.topicPrefix,
    clientId: 'berth-demo',
    security: kafkaSecurityFromEnv(),
  });
  const ids = opts.tasks.map((t) => t.input.id);
  const results = new Map<string, TaskResult>();
  try {
    const stream = client.results({ ids });
    await stream.ready;
    const started = Date.now();
    await client.submitMany(opts.tasks.map((t) => t.input));
    opts.log(`submitted ${ids.length} tasks`);
    const progress = setInterval(() => opts.log(`${results.size}/${ids.length} results`), 3000);
    const timer = setTimeout(() => void stream.return?.(), opts.timeoutMs);
    for await (const r of stream) {
      results.set(r.id, r);
      if (results.size === ids.length) break;
    }
    clearInterval(progress);
    clearTimeout(timer);
    const seconds = (Date.now() - started) / 1000;
    opts.log(
      `${results.size}/${ids.length} results in ${seconds.toFixed(1)} s (${(results.size / seconds).toFixed(1)} tasks/s)`,
    );
  } finally {
    await client.close();
  }
  for (const line of reportLines(opts.tasks, results)) console.log(line);
  await printMetrics(worker.metricsUrl);
  const problems = opts.tasks.flatMap((t) => {
    const r = results.get(t.input.id);
    if (!r) return [`${t.input.id}: no result`];
    const p = checkResult(t, r);
    return p ? [p] : [];
  });
  return problems;
}

async function printMetrics(url: string): Promise<void> {
  const text = await fetch(`${url}/metrics`).then(
    (r) => r.text(),
    () => '',
  );
  const wanted = /^berth_(tasks_total|slots|warm_containers|partitions_paused|dlq_total)\{?/;
  const lines = text.split('\n').filter((l) => wanted.test(l) && !l.endsWith(' 0'));
  console.log(`\nworker metrics (${url}/metrics):`);
  for (const l of lines) console.log(`  ${l}`);
}
