import { percentile } from '../bench/bench-stats.js';
import type { TaskResult } from '../domain/task-result.js';
import type { DemoTask } from './demo-workload.js';

/** Why a result does not meet its expectation, or null when it does. */
export function checkResult(task: DemoTask, result: TaskResult): string | null {
  const e = task.expect;
  if (result.status !== e.status) {
    const detail = result.reason ?? Buffer.from(result.stderr).toString('utf8').slice(0, 200);
    return `${task.input.id}: expected ${e.status}, got ${result.status} (${detail})`;
  }
  const stdout = Buffer.from(result.stdout).toString('utf8');
  if (e.stdoutIncludes !== undefined && !stdout.includes(e.stdoutIncludes)) {
    return `${task.input.id}: stdout lacks '${e.stdoutIncludes}': ${stdout.slice(0, 200)}`;
  }
  if (e.output !== undefined && !result.outputs.some((o) => o.name === e.output && o.data.byteLength > 0)) {
    return `${task.input.id}: no output file ${e.output}`;
  }
  const returned = Buffer.from(result.returnValue?.data ?? []).toString('utf8');
  if (e.returnIncludes !== undefined && !returned.includes(e.returnIncludes)) {
    return `${task.input.id}: return value lacks '${e.returnIncludes}': ${returned.slice(0, 200) || 'none'}`;
  }
  return null;
}

/** One line per task group: count, statuses, and latency percentiles in milliseconds. */
export function reportLines(tasks: readonly DemoTask[], results: ReadonlyMap<string, TaskResult>): string[] {
  const groups = new Map<string, TaskResult[]>();
  for (const t of tasks) {
    const r = results.get(t.input.id);
    if (!r) continue;
    groups.set(t.expect.group, [...(groups.get(t.expect.group) ?? []), r]);
  }
  const header = `${'group'.padEnd(20)} ${'tasks'.padStart(5)}  ${'statuses'.padEnd(26)} start p50/p95 ms   run p50/p95 ms`;
  const lines = [...groups].map(([group, rs]) => {
    const statuses = new Map<string, number>();
    for (const r of rs) statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
    const st = [...statuses].map(([s, n]) => `${s} ${n}`).join(', ');
    const start = rs.map((r) => r.startLatencyMs);
    const run = rs.map((r) => r.runMs);
    return `${group.padEnd(20)} ${String(rs.length).padStart(5)}  ${st.padEnd(26)} ${`${percentile(start, 50)}/${percentile(start, 95)}`.padStart(15)}  ${`${percentile(run, 50)}/${percentile(run, 95)}`.padStart(15)}`;
  });
  return [header, ...lines];
}
