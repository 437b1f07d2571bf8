import { type ChildProcess, spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { sleep } from '../resilience/retry.js';
import { WORKER_NODE_FLAGS } from '../worker/worker-node-flags.js';

/** A `berth worker` running as its own process for the demo, logging to a file. */
export interface DemoWorker {
  readonly process: ChildProcess;
  readonly metricsUrl: string;
  /** SIGTERM, then the exit code once the worker has drained. */
  stop(): Promise<number | null>;
}

export async function startDemoWorker(
  cli: string,
  args: readonly string[],
  logFile: string,
  metricsPort: number,
): Promise<DemoWorker> {
  const log = openSync(logFile, 'a');
  const child = spawn(
    process.execPath,
    [...WORKER_NODE_FLAGS, cli, 'worker', ...args, '--metrics-port', String(metricsPort)],
    {
      stdio: ['ignore', log, log],
    },
  );
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const metricsUrl = `http://127.0.0.1:${metricsPort}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    const ready = await fetch(`${metricsUrl}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the worker did not become ready; see ${logFile}`);
    }
    await sleep(250);
  }
  return {
    process: child,
    metricsUrl,
    stop: () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}
