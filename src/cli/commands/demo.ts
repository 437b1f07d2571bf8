import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadHostDirs } from '../../config/host-dirs.js';
import { startDemoConsole } from '../../demo/demo-console.js';
import { pushExamples, runWorkload } from '../../demo/demo-run.js';
import { startDemoWorker } from '../../demo/demo-worker.js';
import { demoWorkload } from '../../demo/demo-workload.js';
import { brokersFromEnv } from '../../kafka/kafka-connection.js';
import { type Command, UsageError } from '../command.js';

const help = `usage: berth demo [--transactions N] [--slots N] [--metrics-port P] [--console-port P]

Runs the demo job against the running infrastructure (berth infra up, berth stacks build):
starts a worker process, pushes the example code packages, submits a workload (a stream of
payment validations keyed by account, thumbnails, word counts, card checks, inline commands in
other stacks), waits for every result, checks each against what it should be, prints a summary
and the worker's metrics, then stops the worker with SIGTERM (it drains and exits 0). A task console (berth console) runs
alongside on --console-port (default 8780, 0: any free port) and prints its URL; it stops with
the demo. Exit 0 when every task produced the expected result.`;

const log = (line: string) => console.error(`berth demo: ${line}`);

const demo: Command = {
  name: 'demo',
  summary: 'run a worker on a demo workload and check every result',
  help,
  async run(argv) {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        transactions: { type: 'string', default: '60' },
        slots: { type: 'string', default: '3' },
        'metrics-port': { type: 'string', default: '9464' },
        'console-port': { type: 'string', default: '8780' },
      },
    });
    const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
    const cli = join(root, 'dist', 'cli', 'main.js');
    const { stateDir } = loadHostDirs();
    await mkdir(stateDir, { recursive: true });
    const logFile = join(stateDir, 'demo-worker.log');
    const opts = {
      cli,
      examplesDir: join(root, 'examples'),
      brokers: brokersFromEnv(),
      topicPrefix: process.env.BERTH_TOPIC_PREFIX ?? 'berth',
      tasks: demoWorkload(`demo-${Date.now().toString(36)}`, Number(values.transactions)),
      timeoutMs: 10 * 60_000,
      log,
    };
    await pushExamples(opts).catch((err: Error) => {
      throw new UsageError(err.message, 1);
    });
    const workerArgs = [
      '--slots',
      String(values.slots),
      '--warm-pool-size',
      '2',
      '--prewarm-stacks',
      'node-20',
    ];
    const consoleRunning = await startDemoConsole(Number(values['console-port']), log);
    const worker = await startDemoWorker(cli, workerArgs, logFile, Number(values['metrics-port'])).catch(
      async (err: unknown) => {
        await consoleRunning?.close();
        throw err;
      },
    );
    log(`worker started (pid ${worker.process.pid}, log ${logFile}, metrics ${worker.metricsUrl}/metrics)`);
    let problems: string[];
    try {
      problems = await runWorkload(opts, worker);
    } finally {
      const code = await worker.stop();
      log(`worker drained and exited with code ${code}`);
      await consoleRunning?.close();
    }
    for (const p of problems) log(`problem: ${p}`);
    log(
      problems.length === 0
        ? `all ${opts.tasks.length} tasks produced the expected result`
        : `${problems.length} problem(s)`,
    );
    return problems.length === 0 ? 0 : 1;
  },
};

export default demo;
