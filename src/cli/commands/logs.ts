import { taskProgressCodec } from '../../codecs/task-progress-codec.js';
import type { TaskResult } from '../../domain/task-result.js';
import { EXIT, parseFlags, withSession } from '../cli-session.js';
import { type Command, onePositional } from '../command.js';
import { keyedRecords } from '../keyed-records.js';
import { ProgressPrinter } from '../progress-printer.js';
import { resultJson } from '../result-printer.js';
import { TASK_EXIT_HELP, taskExitCode } from '../task-exit-code.js';

const help = `usage: berth logs ID [--follow] [--json]

Prints what task ID printed (stdout, stderr) and the progress it reported while it ran, from the
progress topic (best effort, kept one day): output as the task wrote it, progress reports as
'[berth] progress 40% message' lines on stderr.

options:
  --follow   keep printing while the task runs; exit when its result arrives, with the task's
             exit code (as berth run). Output not streamed (a task's last moments, or all of a
             task too quick to stream) is printed from the result.
  --json     one JSON object per progress record (and the result, with --follow) on stdout

exit codes without --follow: 0 records found, 1 none (yet), 2 usage, 3 broker unreachable
exit codes with --follow:
${TASK_EXIT_HELP}`;

/** How long `--follow` still reads progress after the result arrived (records published just before it). */
const SETTLE_MS = 1_000;

const logs: Command = {
  name: 'logs',
  summary: "print a task's live output and progress (--follow until it ends)",
  help,
  async run(argv) {
    const { values, positionals } = parseFlags(argv, {
      follow: { type: 'boolean' },
      json: { type: 'boolean' },
    });
    const id = onePositional(positionals, 'task ID');
    const printer = new ProgressPrinter(values.json === true);
    return withSession('logs', async (s) => {
      if (!values.follow) {
        const found = await keyedRecords(s, s.topics.progress, id, taskProgressCodec);
        found.sort((a, b) => a.attempt - b.attempt || a.seq - b.seq);
        for (const p of found) printer.print(p);
        if (found.length === 0)
          s.progress(`no live output recorded for task ${id} (berth task ${id} --output)`);
        return found.length > 0 ? EXIT.ok : EXIT.failed;
      }
      const client = s.client();
      const stream = client.progress(id, { from: 'earliest' });
      const printing = (async () => {
        for await (const p of stream) printer.print(p);
      })();
      printing.catch(() => undefined);
      await stream.ready;
      let result: TaskResult;
      try {
        result = await Promise.race([
          client.waitForResult(id, { timeoutMs: 2_147_000_000 }),
          printing.then(() => new Promise<never>(() => {})),
        ]);
      } finally {
        await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
        await stream.return?.();
        await printing.catch((err: unknown) =>
          s.progress(`progress not readable: ${(err as Error).message}`),
        );
      }
      if (values.json) console.log(JSON.stringify(resultJson(result)));
      else printer.printRest(result);
      return taskExitCode(result);
    });
  },
};

export default logs;
