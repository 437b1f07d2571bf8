import type { ReturnValue, TaskResult } from '../domain/task-result.js';

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

/** A handler's return value as text: JSON and strings as they are, bytes as base64. */
export function returnValueText(v: ReturnValue): string {
  return v.kind === 'BYTES'
    ? `base64:${Buffer.from(v.data).toString('base64')}`
    : Buffer.from(v.data).toString('utf8');
}

function returnValueJson(v: ReturnValue | null | undefined): unknown {
  if (v == null) return null;
  const text = Buffer.from(v.data).toString('utf8');
  if (v.kind === 'JSON') return { kind: v.kind, value: JSON.parse(text) as unknown };
  if (v.kind === 'STRING') return { kind: v.kind, value: text };
  return { kind: v.kind, base64: Buffer.from(v.data).toString('base64') };
}

/** A TaskResult as JSON-friendly data: text as UTF-8 strings, output files base64. */
export function resultJson(r: TaskResult): Record<string, unknown> {
  return {
    ...r,
    returnValue: returnValueJson(r.returnValue),
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
  if (r.returnValue != null) process.stdout.write(`${returnValueText(r.returnValue)}\n`);
  process.stderr.write(`${resultLine(r)}\n`);
}
