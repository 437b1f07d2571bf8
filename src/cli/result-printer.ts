import type { TaskResult } from '../domain/task-result.js';

/** One line describing an attempt's outcome, for humans. */
export function resultLine(r: TaskResult): string {
  const parts = [`${r.id} attempt ${r.attempt}: ${r.status}`];
  if (r.exitCode !== null) parts.push(`exit ${r.exitCode}`);
  if (r.codeName) parts.push(`code ${r.codeName}@${r.codeRevision ?? '?'}`);
  else if (r.stack) parts.push(`stack ${r.stack}`);
  parts.push(
    `run ${r.runMs} ms, start ${r.startLatencyMs} ms, queue ${r.queueWaitMs} ms`,
    `worker ${r.workerId || '-'}`,
  );
  const line = parts.join(', ');
  return r.reason ? `${line}: ${r.reason}` : line;
}

/** A TaskResult as JSON-friendly data: text as UTF-8 strings, output files base64. */
export function resultJson(r: TaskResult): Record<string, unknown> {
  return {
    ...r,
    stdout: Buffer.from(r.stdout).toString('utf8'),
    stderr: Buffer.from(r.stderr).toString('utf8'),
    outputs: r.outputs.map((o) => ({
      name: o.name,
      bytes: o.data.byteLength,
      base64: Buffer.from(o.data).toString('base64'),
    })),
  };
}

/** Writes the task's captured stdout and stderr to ours, then the outcome line on stderr. */
export function printRun(r: TaskResult): void {
  if (r.stdout.byteLength > 0) process.stdout.write(r.stdout);
  if (r.stdoutTruncated) process.stderr.write('[stdout truncated]\n');
  if (r.stderr.byteLength > 0) process.stderr.write(r.stderr);
  if (r.stderrTruncated) process.stderr.write('[stderr truncated]\n');
  for (const o of r.outputs) process.stderr.write(`output ${o.name} (${o.data.byteLength} bytes)\n`);
  process.stderr.write(`${resultLine(r)}\n`);
}
