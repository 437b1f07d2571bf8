import { ConsoleResultSource } from '../../client/console-result-source.js';
import { taskProgressCodec } from '../../codecs/task-progress-codec.js';
import { taskResultCodec } from '../../codecs/task-result-codec.js';
import { InfraError } from '../../domain/infra-error.js';
import type { TaskProgress } from '../../domain/task-progress.js';
import type { TaskResult } from '../../domain/task-result.js';
import { type CliSession, EXIT, parseFlags, withSession } from '../cli-session.js';
import { type Command, onePositional } from '../command.js';
import { keyedRecords } from '../keyed-records.js';
import { progressJson, progressLine } from '../progress-printer.js';
import { printRun, resultJson, resultLine } from '../result-printer.js';

const help = `usage: berth task ID [--json] [--output]

Shows every result recorded for task ID (one per attempt that ended): asked of the console when
BERTH_CONSOLE_URL is set (berth console; BERTH_CONSOLE_TOKEN if it needs one), else by scanning the
results topic. While the task has no result yet, shows the last progress it reported (progress
topic), if any; berth logs ID --follow prints its output as it runs.

options:
  --json     the results as a JSON array
  --output   also print the last result's stdout and stderr

exit codes: 0 found, 1 no result for ID (yet) or console failure, 2 usage, 3 broker unreachable`;

const task: Command = {
  name: 'task',
  summary: 'show all results recorded for one task id',
  help,
  async run(argv) {
    const { values, positionals } = parseFlags(argv, {
      json: { type: 'boolean' },
      output: { type: 'boolean' },
    });
    const id = onePositional(positionals, 'task ID');
    const show = (found: TaskResult[], progress: (line: string) => void): number => {
      found.sort((a, b) => a.attempt - b.attempt || a.finishedAtMs - b.finishedAtMs);
      if (values.json) console.log(JSON.stringify(found.map(resultJson)));
      else for (const r of found) console.log(resultLine(r));
      const last = found.at(-1);
      if (!last) {
        progress(`no result for task ${id} (not finished yet, or unknown)`);
        return EXIT.failed;
      }
      if (values.output && !values.json) printRun(last);
      return EXIT.ok;
    };
    const consoleSource = ConsoleResultSource.fromEnv();
    if (consoleSource) {
      const progress = (line: string) => process.stderr.write(`berth task: ${line}\n`);
      try {
        return show(await consoleSource.resultsFor(id), progress);
      } catch (err) {
        if (!(err instanceof InfraError)) throw err;
        progress(err.message);
        return EXIT.failed;
      }
    }
    return withSession('task', async (s) => {
      s.progress(`scanning ${s.topics.results}`);
      const progress = lastProgress(s, id);
      progress.catch(() => undefined);
      const found: TaskResult[] = await keyedRecords(s, s.topics.results, id, taskResultCodec);
      found.sort((a, b) => a.attempt - b.attempt || a.finishedAtMs - b.finishedAtMs);
      if (values.json) console.log(JSON.stringify(found.map(resultJson)));
      else for (const r of found) console.log(resultLine(r));
      const last = found.at(-1);
      if (!last) {
        const p = await progress.catch(() => null);
        if (p === null) s.progress(`no result for task ${id} (not finished yet, or unknown)`);
        else if (values.json) console.log(JSON.stringify({ running: progressJson(p) }));
        else
          console.log(
            `${id}  RUNNING  attempt ${p.attempt} on ${p.workerId}  ${progressLine(p)}  (updated ${ago(p.atMs)} ago)`,
          );
        return EXIT.failed;
      }
      if (values.output && !values.json) printRun(last);
      return EXIT.ok;
    });
  },
};

/**
 * The newest record of `id` on the progress topic that carries a progress report (else the newest
 * record), null when there is none; a missing progress topic also gives null.
 */
async function lastProgress(s: CliSession, id: string): Promise<TaskProgress | null> {
  let newest: TaskProgress | null = null;
  let newestReport: TaskProgress | null = null;
  const later = (a: TaskProgress, b: TaskProgress | null) =>
    b === null || a.attempt > b.attempt || (a.attempt === b.attempt && a.seq > b.seq);
  for (const p of await keyedRecords(s, s.topics.progress, id, taskProgressCodec)) {
    if (later(p, newest)) newest = p;
    if ((p.percent !== null || p.message !== null) && later(p, newestReport)) newestReport = p;
  }
  return newestReport ?? newest;
}

function ago(atMs: number): string {
  const s = Math.max(0, Math.round((Date.now() - atMs) / 1000));
  return s < 120 ? `${s} s` : `${Math.round(s / 60)} min`;
}

export default task;
