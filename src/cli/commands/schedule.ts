import type { TaskInput } from '../../client/task-input.js';
import {
  MISSED_TICK_POLICIES,
  type MissedTickPolicy,
  type Schedule,
  type ScheduleTick,
} from '../../schedules/schedule.js';
import {
  buildSchedule,
  ScheduleExistsError,
  type ScheduleInput,
  ScheduleNotFoundError,
} from '../../schedules/schedule-client.js';
import { timetableOf } from '../../schedules/schedule-timetable.js';
import { EXIT, parseFlags, parsePairs, withSession } from '../cli-session.js';
import { type Command, onePositional, UsageError } from '../command.js';
import { formatDuration, parseDurationMs } from '../duration-flag.js';
import { intFlag, PAYLOAD_CAP_HELP, payloadCapFlag, readPayload } from './submit.js';

const help = `usage: berth schedule create NAME (--cron EXPR [--tz ZONE] | --every DUR)
                             (CODE[@REV] | --inline --stack STACK --command CMD [ARG...]) [options]
       berth schedule list [--json]
       berth schedule show NAME [--json]
       berth schedule pause NAME | resume NAME | delete NAME

Schedules submit a task per tick: exactly one task per tick however many workers run (the worker
that owns the schedules partition fires it), with the task id sched:NAME:TICK_EPOCH_MS.

create options:
  --cron EXPR            cron expression, 5 fields (minute first) or 6 (seconds first), e.g.
                         '0 9 * * 1-5'; read in --tz ZONE (IANA, e.g. Europe/Berlin; default UTC)
  --every DUR            fixed interval, at least 1s (e.g. 30s, 10m), counted from creation
  --inline --stack S     run a command in stack S instead of a code package; everything after
                         --command (or after --) is the command and its arguments
  --payload JSON|@FILE   task payload: inline JSON (validated) or the raw bytes of FILE
${PAYLOAD_CAP_HELP}
  --missed latest|skip|all  ticks missed while no worker could fire (default latest: fire the most
                         recent missed tick once, skip older ones; skip: fire none more than 10 s
                         late; all: fire each, oldest first, at most 100 per pass)
  --replace              replace a schedule of the same name (default: refuse)
  --priority 0|1|2       task priority (default 1)
  --timeout DUR          per-attempt limit of each task (at most 60m)
  --max-attempts N       attempts per task
  --label KEY=VALUE      label on each task (repeatable)
  --env KEY=VALUE        environment variable of an inline command (repeatable)
  --json                 print the schedule as JSON

pause stops firing; resume fires again from the next tick (ticks during the pause never fire);
delete removes the schedule. durations need a unit: 500ms, 30s, 10m, 1h.

exit codes: 0 ok, 1 no such schedule / name taken, 2 usage, 3 broker unreachable
environment: BERTH_KAFKA_BROKERS (127.0.0.1:9092), BERTH_TOPIC_PREFIX (berth)`;

const createOptions = {
  cron: { type: 'string' },
  tz: { type: 'string' },
  every: { type: 'string' },
  inline: { type: 'boolean' },
  stack: { type: 'string' },
  payload: { type: 'string' },
  'payload-cap-bytes': { type: 'string' },
  missed: { type: 'string' },
  replace: { type: 'boolean' },
  priority: { type: 'string' },
  timeout: { type: 'string' },
  'max-attempts': { type: 'string' },
  label: { type: 'string', multiple: true },
  env: { type: 'string', multiple: true },
  json: { type: 'boolean' },
} as const;

/** Splits `create`'s argv at `--command` or `--`: flags before, the inline command after. */
function splitCommand(argv: readonly string[]): { flags: string[]; command: string[] | null } {
  const at = argv.findIndex((a) => a === '--command' || a === '--');
  if (at < 0) return { flags: [...argv], command: null };
  return { flags: argv.slice(0, at), command: argv.slice(at + 1) };
}

function missedFlag(value: string | undefined): MissedTickPolicy | undefined {
  if (value === undefined) return undefined;
  const policy = value.toUpperCase() as MissedTickPolicy;
  if (!MISSED_TICK_POLICIES.includes(policy))
    throw new UsageError(`--missed: '${value}' is not one of latest, skip, all`);
  return policy;
}

/** The schedule `create` asks for, from its arguments; every mistake is a `UsageError`. */
export function scheduleInputFromArgs(argv: readonly string[]): {
  input: ScheduleInput;
  replace: boolean;
  json: boolean;
  payloadCapBytes: number;
} {
  const { flags, command } = splitCommand(argv);
  const { values, positionals } = parseFlags(flags, createOptions);
  const [name, code, ...extra] = positionals;
  if (name === undefined) throw new UsageError('expected a schedule NAME');
  if ((values.cron === undefined) === (values.every === undefined))
    throw new UsageError('give exactly one of --cron EXPR and --every DUR');
  if (values.tz !== undefined && values.cron === undefined)
    throw new UsageError('--tz only applies to --cron');
  const inline = values.inline === true || values.stack !== undefined || command !== null;
  if (inline) {
    if (code !== undefined) throw new UsageError(`unexpected '${code}': an inline schedule takes no CODE`);
    if (values.stack === undefined) throw new UsageError('--inline needs --stack STACK');
    if (command === null || command.length === 0)
      throw new UsageError('--inline needs a command: --command CMD [ARG...]');
  } else if (code === undefined) {
    throw new UsageError('expected CODE[@REV] or --inline --stack STACK --command CMD [ARG...]');
  }
  if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`);
  if (!inline && values.env !== undefined) throw new UsageError('--env only applies to --inline schedules');
  const task: Omit<TaskInput, 'id'> = {
    ...(inline
      ? {
          inline: {
            stack: values.stack as string,
            command: command as string[],
            env: parsePairs(values.env, 'env'),
          },
        }
      : { code }),
    payload: readPayload(values.payload),
    priority: intFlag(values.priority, 'priority') as 0 | 1 | 2 | undefined,
    timeoutMs: values.timeout === undefined ? undefined : parseDurationMs(values.timeout, 'timeout'),
    maxAttempts: intFlag(values['max-attempts'], 'max-attempts'),
    labels: parsePairs(values.label, 'label'),
  };
  return {
    input: {
      name,
      cron: values.cron,
      timeZone: values.tz,
      everyMs: values.every === undefined ? undefined : parseDurationMs(values.every, 'every'),
      task,
      missedTicks: missedFlag(values.missed),
    },
    replace: values.replace === true,
    json: values.json === true,
    payloadCapBytes: payloadCapFlag(values['payload-cap-bytes']),
  };
}

function timingText(s: Schedule): string {
  if (s.everyMs !== null) return `every ${formatDuration(s.everyMs)}`;
  return `cron '${s.cron}'${s.timeZone === null ? '' : ` ${s.timeZone}`}`;
}

function taskText(s: Schedule): string {
  const t = s.task;
  if (t.code !== null) return t.code.revision === null ? t.code.name : `${t.code.name}@${t.code.revision}`;
  return `${t.inline?.stack ?? '?'}: ${(t.inline?.command ?? []).join(' ')}`;
}

function iso(ms: number | null): string {
  return ms === null ? '-' : new Date(ms).toISOString();
}

function nextTick(s: Schedule, last: ScheduleTick | undefined, nowMs: number): number | null {
  if (s.paused) return null;
  const from = Math.max(nowMs, s.activeSinceMs, last?.tickMs ?? 0);
  return timetableOf(s).nextAfter(from);
}

/** A schedule as plain JSON for --json. */
function scheduleJson(s: Schedule, last: ScheduleTick | undefined, nowMs: number): Record<string, unknown> {
  return {
    name: s.name,
    cron: s.cron,
    timeZone: s.timeZone,
    everyMs: s.everyMs,
    paused: s.paused,
    missedTicks: s.missedTicks,
    task: { code: s.task.code, inline: s.task.inline, priority: s.task.priority, labels: s.task.labels },
    payloadBytes: s.task.payload.byteLength,
    createdAtMs: s.createdAtMs,
    activeSinceMs: s.activeSinceMs,
    nextTickMs: nextTick(s, last, nowMs),
    lastTick: last ?? null,
  };
}

async function create(argv: readonly string[]): Promise<number> {
  const args = scheduleInputFromArgs(argv);
  try {
    buildSchedule(args.input, Date.now(), args.payloadCapBytes);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  return withSession(
    'schedule',
    async (s) => {
      const client = s.client().schedules;
      let schedule: Schedule;
      try {
        schedule = await client.create(args.input, { replace: args.replace });
      } catch (err) {
        if (err instanceof ScheduleExistsError) throw new UsageError(err.message, EXIT.failed);
        throw err;
      }
      const next = nextTick(schedule, undefined, Date.now());
      if (args.json) console.log(JSON.stringify(scheduleJson(schedule, undefined, Date.now())));
      else console.log(`${schedule.name}: ${timingText(schedule)}, next tick ${iso(next)}`);
      return EXIT.ok;
    },
    { payloadCapBytes: args.payloadCapBytes },
  );
}

async function list(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, { json: { type: 'boolean' } });
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  return withSession('schedule', async (s) => {
    const client = s.client().schedules;
    const [schedules, ticks] = [await client.list(), await client.lastTicks()];
    const now = Date.now();
    if (values.json) {
      console.log(JSON.stringify(schedules.map((x) => scheduleJson(x, ticks.get(x.name), now))));
      return EXIT.ok;
    }
    if (schedules.length === 0) {
      s.progress(`no schedules on ${s.topics.schedules}`);
      return EXIT.ok;
    }
    const rows = schedules.map((x) => [
      x.name,
      x.paused ? 'paused' : 'active',
      timingText(x),
      iso(nextTick(x, ticks.get(x.name), now)),
      iso(ticks.get(x.name)?.tickMs ?? null),
      taskText(x),
    ]);
    const head = ['NAME', 'STATE', 'TIMING', 'NEXT TICK', 'LAST FIRED', 'TASK'];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
    for (const r of [head, ...rows])
      console.log(
        r
          .map((c, i) => c.padEnd(widths[i] ?? 0))
          .join('  ')
          .trimEnd(),
      );
    return EXIT.ok;
  });
}

async function show(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseFlags(argv, { json: { type: 'boolean' } });
  const name = oneName(positionals);
  return withSession('schedule', async (s) => {
    const client = s.client().schedules;
    const schedule = await client.get(name);
    if (schedule === null) throw new UsageError(new ScheduleNotFoundError(name).message, EXIT.failed);
    const last = (await client.lastTicks()).get(name);
    const json = scheduleJson(schedule, last, Date.now());
    if (values.json) {
      console.log(JSON.stringify(json));
      return EXIT.ok;
    }
    console.log(`name:          ${schedule.name}`);
    console.log(`state:         ${schedule.paused ? 'paused' : 'active'}`);
    console.log(`timing:        ${timingText(schedule)}`);
    console.log(`missed ticks:  ${schedule.missedTicks.toLowerCase()}`);
    console.log(
      `task:          ${taskText(schedule)} (priority ${schedule.task.priority}, payload ${schedule.task.payload.byteLength} bytes)`,
    );
    console.log(`created:       ${iso(schedule.createdAtMs)}`);
    console.log(`next tick:     ${iso(json.nextTickMs as number | null)}`);
    console.log(`last fired:    ${last ? `${iso(last.tickMs)} as ${last.taskId} by ${last.workerId}` : '-'}`);
    return EXIT.ok;
  });
}

function oneName(positionals: readonly string[]): string {
  return onePositional(positionals, 'schedule NAME');
}

async function change(action: 'pause' | 'resume' | 'delete', argv: readonly string[]): Promise<number> {
  const { positionals } = parseFlags(argv, {});
  const name = oneName(positionals);
  return withSession('schedule', async (s) => {
    const client = s.client().schedules;
    try {
      if (action === 'delete') {
        if (!(await client.delete(name))) throw new ScheduleNotFoundError(name);
        s.progress(`deleted ${name}`);
      } else {
        const schedule = action === 'pause' ? await client.pause(name) : await client.resume(name);
        s.progress(`${name} is ${schedule.paused ? 'paused' : 'active'}`);
      }
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) throw new UsageError(err.message, EXIT.failed);
      throw err;
    }
    return EXIT.ok;
  });
}

const schedule: Command = {
  name: 'schedule',
  summary: 'create, list, show, pause, resume and delete schedules that submit a task per tick',
  help,
  async run(argv) {
    const [action, ...rest] = argv;
    switch (action) {
      case 'create':
        return create(rest);
      case 'list':
        return list(rest);
      case 'show':
        return show(rest);
      case 'pause':
      case 'resume':
      case 'delete':
        return change(action, rest);
      default:
        throw new UsageError(
          action === undefined
            ? 'expected create, list, show, pause, resume or delete'
            : `unknown action '${action}' (create, list, show, pause, resume, delete)`,
        );
    }
  },
};

export default schedule;
