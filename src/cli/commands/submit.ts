import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { PayloadTooLargeError } from '../../client/client-errors.js';
import { checkPayloadCap, type TaskInput, toTaskEvent } from '../../client/task-input.js';
import { DEFAULT_PAYLOAD_CAP_BYTES, WORKER_SETTINGS } from '../../config/worker-settings.js';
import { isPriorityLane, laneOfPriority, type PriorityLane } from '../../domain/priority-lane.js';
import { EXIT, parseFlags, parsePairs, withSession } from '../cli-session.js';
import { type Command, UsageError } from '../command.js';
import { formatDuration, parseDurationMs } from '../duration-flag.js';
import { submitWaitAndPrint } from '../result-wait.js';
import { scheduleFlags } from '../run-at-flag.js';
import { TASK_EXIT_HELP, withTaskExitCodes } from '../task-exit-code.js';

const CAP = WORKER_SETTINGS.payloadCapBytes;

/** Help line of `--payload-cap-bytes`, shared by submit and run. */
export const PAYLOAD_CAP_HELP = `  --payload-cap-bytes N  refuse a larger payload before sending (exit 2); default ${DEFAULT_PAYLOAD_CAP_BYTES},
                         the worker's default; ${CAP.env} sets it for CLI and workers alike`;

/** Help line of `--priority`, shared by submit and run. */
export const PRIORITY_HELP = `  --priority LANE        high, normal (default) or low (or 2, 1, 0): the task goes to that
                         lane's tasks topic; workers take high work first, low work still runs`;

const help = `usage: berth submit CODE[@REV] [--payload JSON|@FILE] [--wait] [options]

Publishes a task running code package CODE (newest revision, or REV) and prints its id.

options:
  --payload JSON|@FILE   task payload: inline JSON (validated) or the raw bytes of FILE
${PAYLOAD_CAP_HELP}
  --wait                 wait for the result; print the task's stdout/stderr; exit with the task's
                         exit code (see below); Ctrl-C cancels the task, a second Ctrl-C detaches
  --wait-timeout DUR     give up waiting after DUR (default 10m, counted from a delayed task's
                         time); the task may still run
${PRIORITY_HELP}
  --timeout DUR          per-attempt limit (e.g. 30s, 5m; at most 60m); default: the package's
  --max-attempts N       attempts in total; default: the package's
  --key KEY              ordering key (tasks with the same key run in order); default: the id
  --id ID                idempotency key; default: a random UUID. Submitting an id again within
                         the workers' idempotency window (default 1h) does not run it again
  --delay DUR            start no earlier than DUR from now (e.g. 10m, 2h); holds no worker slot
  --at TIME              start no earlier than TIME, ISO 8601 with a zone (2026-12-01T09:00Z)
  --label KEY=VALUE      label copied into the result (repeatable)
  --json                 print the id (or, with --wait, the result) as JSON

durations need a unit: 500ms, 30s, 10m, 1h.

exit codes: 0 ok, 2 usage, 3 broker unreachable; with --wait:
${TASK_EXIT_HELP}
environment: BERTH_KAFKA_BROKERS (127.0.0.1:9092), BERTH_TOPIC_PREFIX (berth),
  ${CAP.env} (${DEFAULT_PAYLOAD_CAP_BYTES})`;

const options = {
  payload: { type: 'string' },
  'payload-cap-bytes': { type: 'string' },
  wait: { type: 'boolean' },
  'wait-timeout': { type: 'string' },
  priority: { type: 'string' },
  timeout: { type: 'string' },
  'max-attempts': { type: 'string' },
  key: { type: 'string' },
  id: { type: 'string' },
  delay: { type: 'string' },
  at: { type: 'string' },
  label: { type: 'string', multiple: true },
  json: { type: 'boolean' },
} as const;

/** `--payload`: inline JSON (must parse) or `@file` (raw bytes). */
export function readPayload(value: string | undefined): Uint8Array | undefined {
  if (value === undefined) return undefined;
  if (value.startsWith('@')) {
    try {
      return readFileSync(value.slice(1));
    } catch (err) {
      throw new UsageError(
        `--payload: cannot read ${value.slice(1)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      );
    }
  }
  try {
    JSON.parse(value);
  } catch (err) {
    throw new UsageError(
      `--payload is not valid JSON: ${(err as Error).message} (use @FILE for other bytes)`,
    );
  }
  return Buffer.from(value, 'utf8');
}

export function intFlag(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`--${flag}: '${value}' is not a whole number`);
  return Number(value);
}

/** `--priority`: a lane name or its number (high 2, normal 1, low 0); anything else is a usage error. */
export function priorityFlag(value: string | undefined): PriorityLane | undefined {
  if (value === undefined) return undefined;
  const v = value.toLowerCase();
  if (isPriorityLane(v)) return v;
  if (/^[0-2]$/.test(v)) return laneOfPriority(Number(v));
  throw new UsageError(`--priority: '${value}' is not high, normal or low (or 2, 1, 0)`);
}

/**
 * The payload cap: `--payload-cap-bytes`, else `BERTH_PAYLOAD_CAP_BYTES` (the workers' setting),
 * else the worker's default; outside the worker setting's bounds is a usage error.
 */
export function payloadCapFlag(value: string | undefined, env: NodeJS.ProcessEnv = process.env): number {
  const raw = value ?? (env[CAP.env] === '' ? undefined : env[CAP.env]);
  if (raw === undefined) return DEFAULT_PAYLOAD_CAP_BYTES;
  const cap = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(cap >= CAP.min && cap <= CAP.max)) {
    throw new UsageError(
      `--${CAP.flag} / ${CAP.env} must be an integer in [${CAP.min}, ${CAP.max}], got '${raw}'`,
    );
  }
  return cap;
}

/**
 * Validates a task built from flags before anything connects: a broken rule or a payload over
 * `payloadCapBytes` is a usage error (exit 2).
 */
export function checkedTask<T extends TaskInput>(task: T, payloadCapBytes = DEFAULT_PAYLOAD_CAP_BYTES): T {
  try {
    checkPayloadCap(toTaskEvent(task), payloadCapBytes);
  } catch (err) {
    if (err instanceof PayloadTooLargeError) {
      throw new UsageError(`${err.message}; --${CAP.flag} / ${CAP.env} set the cap`);
    }
    throw new UsageError((err as Error).message);
  }
  return task;
}

const submit: Command = {
  name: 'submit',
  summary: 'submit a task that runs a pushed code package (optionally wait for its result)',
  help,
  async run(argv) {
    // Waiting passes the task's exit code through, so Berth's own failures exit 125 there.
    const own = argv.includes('--') ? argv.slice(0, argv.indexOf('--')) : argv;
    if (own.includes('--wait')) return withTaskExitCodes(() => submitCommand(argv));
    return submitCommand(argv);
  },
};

async function submitCommand(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseFlags([...argv], options);
  if (positionals.length !== 1) throw new UsageError('expected exactly one CODE[@REV] argument');
  const payloadCapBytes = payloadCapFlag(values['payload-cap-bytes']);
  const task = checkedTask(
    {
      code: positionals[0],
      id: values.id ?? randomUUID(),
      payload: readPayload(values.payload),
      priority: priorityFlag(values.priority),
      timeoutMs: values.timeout === undefined ? undefined : parseDurationMs(values.timeout, 'timeout'),
      maxAttempts: intFlag(values['max-attempts'], 'max-attempts'),
      key: values.key,
      labels: parsePairs(values.label, 'label'),
      ...scheduleFlags(values.delay, values.at),
    },
    payloadCapBytes,
  );
  // A delayed task cannot answer before its time: the default wait starts counting there.
  const untilDueMs = Math.max(0, task.delayMs ?? (task.runAt === undefined ? 0 : task.runAt - Date.now()));
  const waitMs =
    values['wait-timeout'] === undefined
      ? untilDueMs + parseDurationMs('10m', 'wait-timeout')
      : parseDurationMs(values['wait-timeout'], 'wait-timeout');
  return withSession(
    'submit',
    async (s) => {
      if (!values.wait) {
        const id = await s.client().submit(task);
        console.log(values.json ? JSON.stringify({ id }) : id);
        return EXIT.ok;
      }
      s.progress(`submitting task ${task.id}, then waiting up to ${formatDuration(waitMs)} for its result`);
      return submitWaitAndPrint(s, task, { command: 'submit', waitMs, json: values.json === true });
    },
    { payloadCapBytes },
  );
}

export default submit;
