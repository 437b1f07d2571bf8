import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WORKER_NODE_FLAGS } from '../worker/worker-node-flags.js';

export interface WorkerProcessOptions {
  readonly topicPrefix: string;
  readonly workerId: string;
  readonly brokers?: readonly string[];
  /** Labels on the worker's containers (so the bench can find and remove them). */
  readonly containerLabels?: Readonly<Record<string, string>>;
  /** More `berth worker` flags, e.g. ['--slots', '4']. */
  readonly args?: readonly string[];
  /** Flags for node itself, before the CLI; default `WORKER_NODE_FLAGS`. */
  readonly nodeArgs?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  /** The CLI to run; default `berthCli()` (tests, which import the sources, pass dist's). */
  readonly cli?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The CLI next to this compiled module (dist/cli/main.js). */
export function berthCli(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', 'cli', 'main.js');
}

/** The base URL in a worker's `metrics on http://host:port/metrics` log line; null for other lines. */
export function parseMetricsBase(line: string): string | null {
  const m = /metrics on (\S+)\/metrics\b/.exec(line);
  return m?.[1] ?? null;
}

/** `berth worker` argv (after `node`) for these options. */
export function workerArgv(opts: WorkerProcessOptions): string[] {
  const labels = Object.entries(opts.containerLabels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return [
    opts.cli ?? berthCli(),
    'worker',
    '--topic-prefix',
    opts.topicPrefix,
    '--worker-id',
    opts.workerId,
    '--brokers',
    (opts.brokers ?? ['127.0.0.1:9092']).join(','),
    '--metrics-port',
    '0',
    ...(labels ? ['--container-labels', labels] : []),
    ...(opts.args ?? []),
  ];
}

/**
 * A real worker as a child process (`node dist/cli/main.js worker …`), so the bench's own
 * producing and following does not share its event loop and its RSS is its own.
 * Keeps the last lines of its stderr for reports.
 */
export class WorkerProcess {
  readonly stderrTail: string[] = [];
  private readonly child: ChildProcess;
  /** Where it serves /metrics, from its "metrics on URL/metrics" line; null until logged. */
  private metricsBase: string | null = null;
  readonly spawnedAtMs = Date.now();

  constructor(opts: WorkerProcessOptions) {
    this.child = spawn(process.execPath, [...(opts.nodeArgs ?? WORKER_NODE_FLAGS), ...workerArgv(opts)], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: opts.env ?? process.env,
    });
    this.child.stderr?.on('data', (d: Buffer) => {
      const lines = d
        .toString()
        .split('\n')
        .filter((l) => l.trim() !== '');
      for (const l of lines) this.metricsBase ??= parseMetricsBase(l);
      this.stderrTail.push(...lines);
      this.stderrTail.splice(0, Math.max(0, this.stderrTail.length - 20));
    });
  }

  get pid(): number {
    const pid = this.child.pid;
    if (pid === undefined) throw new Error('worker process did not start');
    return pid;
  }

  /** The worker's /metrics URL once it logged it, waiting up to `timeoutMs`; null if it did not. */
  async metricsUrl(timeoutMs = 30_000): Promise<string | null> {
    const deadline = Date.now() + timeoutMs;
    while (this.metricsBase === null && this.running && Date.now() < deadline) await sleep(50);
    return this.metricsBase === null ? null : `${this.metricsBase}/metrics`;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  private exited(): Promise<string> {
    const c = this.child;
    if (c.exitCode !== null) return Promise.resolve(`exit ${c.exitCode}`);
    if (c.signalCode !== null) return Promise.resolve(`signal ${c.signalCode}`);
    return new Promise((res) =>
      c.once('exit', (code, signal) => res(signal ? `signal ${signal}` : `exit ${code}`)),
    );
  }

  /** SIGTERM (the worker drains and exits), SIGKILL after `graceMs`; says how it ended. */
  async stop(graceMs = 60_000): Promise<string> {
    const done = this.exited();
    if (this.running) this.child.kill('SIGTERM');
    const how = await Promise.race([done, sleep(graceMs).then(() => null)]);
    if (how !== null) return how;
    this.child.kill('SIGKILL');
    return `${await done} (still running ${graceMs} ms after SIGTERM)`;
  }
}
