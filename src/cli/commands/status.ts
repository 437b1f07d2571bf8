import { DecodeError } from '../../codecs/codec.js';
import { workerStatsCodec } from '../../codecs/worker-stats-codec.js';
import type { WorkerStats } from '../../domain/worker-stats.js';
import { scanTopic } from '../../kafka/client-topic-scan.js';
import { EXIT, parseFlags, withSession } from '../cli-session.js';
import { type Command, UsageError } from '../command.js';

const help = `usage: berth status [--json]

Shows the latest snapshot of every worker from the metrics topic: state, slots, memory, buffered
tasks, paused partitions and lag. Workers silent for longer than 30 s are marked stale.

exit codes: 0 ok (also with no workers), 2 usage, 3 broker unreachable`;

const STALE_MS = 30_000;

function row(w: WorkerStats, nowMs: number): string[] {
  const lag = w.partitions.reduce((sum, p) => sum + Math.max(0, p.lag), 0);
  const paused = w.partitions.filter((p) => p.paused).length;
  const ageS = Math.round((nowMs - w.reportedAtMs) / 1000);
  return [
    w.workerId,
    nowMs - w.reportedAtMs > STALE_MS ? `${w.state} (stale)` : w.state,
    `${w.slotsBusy}/${w.slotsTotal}`,
    `${Math.round(w.memoryUsedBytes / 2 ** 20)}/${Math.round(w.memoryBudgetBytes / 2 ** 20)} MiB`,
    String(w.bufferedTasks),
    `${w.partitions.length} (${paused} paused)`,
    String(lag),
    `${w.tasksSucceeded}/${w.tasksFailed}/${w.tasksOther}`,
    `${ageS}s ago`,
  ];
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

const status: Command = {
  name: 'status',
  summary: 'show every worker: state, slots, load, lag',
  help,
  async run(argv) {
    const { values, positionals } = parseFlags([...argv], { json: { type: 'boolean' } });
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    return withSession('status', async (s) => {
      const latest = new Map<string, WorkerStats>();
      await scanTopic(
        s.kafka,
        s.topics.metrics,
        async (rec) => {
          if (!rec.value) return;
          try {
            const w = await workerStatsCodec.decodeAsync(rec.value);
            const cur = latest.get(w.workerId);
            if (!cur || w.reportedAtMs >= cur.reportedAtMs) latest.set(w.workerId, w);
          } catch (err) {
            // Not WorkerStats: skipped. A registry that cannot answer is an error, not a skip.
            if (!(err instanceof DecodeError)) throw err;
          }
        },
        { brokers: s.brokers },
      );
      const workers = [...latest.values()].sort((a, b) => a.workerId.localeCompare(b.workerId));
      const now = Date.now();
      if (values.json) {
        console.log(JSON.stringify(workers.map((w) => ({ ...w, stale: now - w.reportedAtMs > STALE_MS }))));
        return EXIT.ok;
      }
      if (workers.length === 0) {
        console.log(`no worker has reported on ${s.topics.metrics}`);
        return EXIT.ok;
      }
      const header = [
        'WORKER',
        'STATE',
        'SLOTS',
        'MEMORY',
        'BUFFERED',
        'PARTITIONS',
        'LAG',
        'OK/FAILED/OTHER',
        'REPORTED',
      ];
      console.log(table([header, ...workers.map((w) => row(w, now))]));
      return EXIT.ok;
    });
  },
};

export default status;
