import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WORKER_NODE_FLAGS } from '../../src/worker/worker-node-flags.js';
import type { WorkerHarness } from '../integration/worker-harness.js';

/** A `berth worker` process of a fault scenario: the real CLI, so kill -9 and SIGSTOP are real. */
export class ProcessWorker {
  private readonly child: ChildProcess;
  readonly exited: Promise<number | null>;

  constructor(
    readonly workerId: string,
    h: WorkerHarness,
    flags: Readonly<Record<string, string>> = {},
  ) {
    if (!existsSync('dist/cli/main.js')) throw new Error('dist/cli/main.js missing: run npm run build first');
    const labels = Object.entries(h.labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    const all: Record<string, string> = {
      'topic-prefix': h.prefix,
      'worker-id': workerId,
      'container-labels': labels,
      'metrics-port': '0',
      'stats-interval-ms': '1000',
      'reaper-interval-ms': '2000',
      'warm-pool-size': '1',
      'prewarm-stacks': 'shell',
      'code-cache-dir': join(tmpdir(), `berth-code-${h.prefix}`),
      ...flags,
    };
    this.child = spawn(
      process.execPath,
      [
        ...WORKER_NODE_FLAGS,
        'dist/cli/main.js',
        'worker',
        ...Object.entries(all).map(([k, v]) => `--${k}=${v}`),
      ],
      { stdio: ['ignore', 'ignore', process.env.BERTH_TEST_LOG ? 'inherit' : 'ignore'] },
    );
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  signal(sig: NodeJS.Signals): void {
    if (this.running) this.child.kill(sig);
  }

  /** kill -9 and wait for the process to be gone. */
  async kill9(): Promise<void> {
    this.signal('SIGKILL');
    await this.exited;
  }

  /** SIGTERM (drain) and wait; resolves the exit code. */
  async stop(): Promise<number | null> {
    this.signal('SIGTERM');
    return this.exited;
  }
}
