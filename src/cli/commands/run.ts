import { randomUUID } from 'node:crypto';
import { parseFlags, parsePairs, withSession } from '../cli-session.js';
import { type Command, UsageError } from '../command.js';
import { formatDuration, parseDurationMs } from '../duration-flag.js';
import { submitWaitAndPrint } from '../result-wait.js';
import { TASK_EXIT_HELP, withTaskExitCodes } from '../task-exit-code.js';
import {
  checkedTask,
  intFlag,
  PAYLOAD_CAP_HELP,
  PRIORITY_HELP,
  payloadCapFlag,
  priorityFlag,
  readPayload,
} from './submit.js';

const help = `usage: berth run STACK [options] -- COMMAND [ARG...]

Runs COMMAND in a fresh container of STACK (e.g. python-3.11) as an inline task, waits, prints
the task's stdout and stderr, and exits with the task's exit code. Warns on stderr when no worker
is running. Ctrl-C cancels the task and waits for its result; a second Ctrl-C stops waiting and
prints how to follow the task.

options:
  --payload JSON|@FILE   payload at /task/payload ($PAYLOAD_FILE)
${PAYLOAD_CAP_HELP}
  --env KEY=VALUE        environment variable for the command (repeatable)
${PRIORITY_HELP}
  --timeout DUR          per-attempt limit (e.g. 30s, 5m; at most 60m)
  --memory BYTES         memory limit in bytes
  --network              give the container a network (default: none)
  --wait-timeout DUR     give up waiting after DUR (default 10m)
  --json                 print the result as JSON instead

durations need a unit: 500ms, 30s, 10m, 1h.

exit codes:
${TASK_EXIT_HELP}
example: berth run python-3.11 -- python3 -c 'print(6*7)'`;

const options = {
  payload: { type: 'string' },
  'payload-cap-bytes': { type: 'string' },
  env: { type: 'string', multiple: true },
  priority: { type: 'string' },
  timeout: { type: 'string' },
  memory: { type: 'string' },
  network: { type: 'boolean' },
  'wait-timeout': { type: 'string' },
  json: { type: 'boolean' },
} as const;

async function runCommand(argv: readonly string[]): Promise<number> {
  const dash = argv.indexOf('--');
  if (dash < 0 || dash === argv.length - 1) throw new UsageError('expected STACK -- COMMAND [ARG...]');
  const { values, positionals } = parseFlags(argv.slice(0, dash), options);
  if (positionals.length !== 1) throw new UsageError('expected exactly one STACK before --');
  const payloadCapBytes = payloadCapFlag(values['payload-cap-bytes']);
  const task = checkedTask(
    {
      id: randomUUID(),
      inline: {
        stack: positionals[0] as string,
        command: argv.slice(dash + 1),
        env: parsePairs(values.env, 'env'),
      },
      payload: readPayload(values.payload),
      priority: priorityFlag(values.priority),
      timeoutMs: values.timeout === undefined ? undefined : parseDurationMs(values.timeout, 'timeout'),
      memoryBytes: intFlag(values.memory, 'memory'),
      network: values.network,
    },
    payloadCapBytes,
  );
  const waitMs = parseDurationMs(values['wait-timeout'] ?? '10m', 'wait-timeout');
  return withSession(
    'run',
    async (s) => {
      s.progress(
        `submitting task ${task.id} to ${s.topics.tasks}, then waiting up to ${formatDuration(waitMs)}`,
      );
      return submitWaitAndPrint(s, task, { command: 'run', waitMs, json: values.json === true });
    },
    { payloadCapBytes },
  );
}

const run: Command = {
  name: 'run',
  summary: 'run a command in a stack as an inline task and print its output',
  help,
  run: (argv) => withTaskExitCodes(() => runCommand(argv)),
};

export default run;
