import { ConsoleResultSource } from '../../client/console-result-source.js';
import { DecodeError } from '../../codecs/codec.js';
import { taskResultCodec } from '../../codecs/task-result-codec.js';
import { TASK_STATUSES, type TaskResult, type TaskStatus } from '../../domain/task-result.js';
import { scanTopic } from '../../kafka/client-topic-scan.js';
import { EXIT, parseFlags, withSession } from '../cli-session.js';
import { type Command, UsageError } from '../command.js';
import { parseDurationMs } from '../duration-flag.js';
import { resultJson, resultLine } from '../result-printer.js';
import { intFlag } from './submit.js';

const help = `usage: berth results [--since DUR|TIME] [--limit N] [--status S] [--id ID] [--follow] [--json]

Prints task results: by default every result still on the results topic, then exits; with
--follow only results that arrive from now on (or from --since on), until interrupted (Ctrl-C).
Without --follow and with BERTH_CONSOLE_URL set, the results come from the console's store
(newest task first) instead of a scan of the topic.

options:
  --since DUR|TIME  only results published in the last DUR (10m, 2h) or since TIME (ISO 8601,
                    e.g. 2025-01-31T09:00:00Z); found through the broker's offsets-for-times
                    lookup, so older results are not read at all
  --limit N         stop after N matching results (per-partition topic order)
  --status S        only results with status S (repeatable or comma-separated):
                    ${TASK_STATUSES.join(', ')}
  --id ID           only results of this task id (repeatable)
  --follow          wait for new results instead of listing existing ones
  --json            one JSON object per line (stdout/stderr as text, output files base64)

exit codes: 0 ok, 2 usage, 3 broker unreachable`;

const options = {
  follow: { type: 'boolean' },
  id: { type: 'string', multiple: true },
  status: { type: 'string', multiple: true },
  since: { type: 'string' },
  limit: { type: 'string' },
  json: { type: 'boolean' },
} as const;

/** `--since`: a duration back from `nowMs` (`10m`) or an ISO 8601 time; returns epoch ms. */
export function parseSince(text: string, nowMs = Date.now()): number {
  if (/^\d{4}-\d{2}-\d{2}/.test(text)) {
    const ms = Date.parse(text);
    if (Number.isNaN(ms)) throw new UsageError(`--since: '${text}' is not an ISO 8601 time`);
    return ms;
  }
  return nowMs - parseDurationMs(text, 'since');
}

/** `--status`: repeatable, comma-separated, any case; unknown names are a usage error. */
export function parseStatuses(values: readonly string[] | undefined): ReadonlySet<TaskStatus> | null {
  const names = (values ?? []).flatMap((v) => v.split(',')).map((v) => v.trim().toUpperCase());
  if (names.length === 0) return null;
  for (const n of names) {
    if (!(TASK_STATUSES as readonly string[]).includes(n))
      throw new UsageError(`--status: '${n}' is not one of ${TASK_STATUSES.join(', ')}`);
  }
  return new Set(names as TaskStatus[]);
}

const results: Command = {
  name: 'results',
  summary: 'list task results (since a time, by status or id, up to a limit), or follow new ones',
  help,
  async run(argv) {
    const { values, positionals } = parseFlags([...argv], options);
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    const ids = values.id && values.id.length > 0 ? new Set(values.id) : null;
    const statuses = parseStatuses(values.status);
    const sinceMs = values.since === undefined ? null : parseSince(values.since);
    const limit = intFlag(values.limit, 'limit');
    if (limit === 0) throw new UsageError('--limit must be at least 1');
    const print = (r: TaskResult) => console.log(values.json ? JSON.stringify(resultJson(r)) : resultLine(r));
    const wanted = (r: TaskResult) => !statuses || statuses.has(r.status);
    let count = 0;
    const consoleSource = values.follow ? null : ConsoleResultSource.fromEnv();
    if (consoleSource) {
      const atLimit = () => limit !== undefined && count >= limit;
      const printAll = async (id: string) => {
        const found = await consoleSource.resultsFor(id);
        found.sort((a, b) => a.attempt - b.attempt || a.finishedAtMs - b.finishedAtMs);
        for (const r of found) {
          if (atLimit() || !wanted(r) || (sinceMs !== null && r.finishedAtMs < sinceMs)) continue;
          print(r);
          count++;
        }
      };
      if (ids) {
        for (const id of ids) await printAll(id);
      } else {
        let cursor: string | undefined;
        do {
          const page = await consoleSource.tasks({
            status: statuses ? [...statuses] : undefined,
            fromMs: sinceMs ?? undefined,
            limit: 200,
            cursor,
          });
          for (const t of page.items) if (!atLimit()) await printAll(t.id);
          cursor = page.nextCursor ?? undefined;
        } while (cursor && !atLimit());
      }
      process.stderr.write(`berth results: ${count} result(s) from the console at ${consoleSource.url}\n`);
      return EXIT.ok;
    }
    return withSession('results', async (s) => {
      if (!values.follow) {
        await scanTopic(
          s.kafka,
          s.topics.results,
          async (rec) => {
            if (!rec.value || (ids && !ids.has(rec.key?.toString() ?? ''))) return;
            let r: TaskResult;
            try {
              r = await taskResultCodec.decodeAsync(rec.value);
            } catch (err) {
              // Not a TaskResult: skipped. A registry that cannot answer is an error, not a skip.
              if (!(err instanceof DecodeError)) throw err;
              return;
            }
            if (!wanted(r)) return;
            print(r);
            count++;
            return limit === undefined || count < limit;
          },
          { brokers: s.brokers, from: sinceMs === null ? 'earliest' : { timestampMs: sinceMs } },
        );
        s.progress(`${count} result(s)${limit !== undefined && count >= limit ? ` (--limit ${limit})` : ''}`);
        return EXIT.ok;
      }
      const stop = new AbortController();
      const stream = s.client().results({
        ids: ids ? [...ids] : undefined,
        from: sinceMs === null ? 'latest' : { timestampMs: sinceMs },
        signal: stop.signal,
      });
      const onSignal = () => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      s.progress(`following ${s.topics.results} (Ctrl-C to stop)`);
      try {
        for await (const r of stream) {
          if (!wanted(r)) continue;
          print(r);
          if (limit !== undefined && ++count >= limit) break;
        }
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
      return EXIT.ok;
    });
  },
};

export default results;
