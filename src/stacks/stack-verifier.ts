import { probeWithLauncher } from './launcher-probe.js';
import { CURRENT_TAG, LABEL, stackImageRef } from './stack-labels.js';
import type { StackDir } from './stacks-root.js';

/** The outcome of one stack's smoke test. */
export interface VerifyOutcome {
  readonly name: string;
  readonly ok: boolean;
  /** The first line of the output that matched, or why it failed (one line). */
  readonly detail: string;
  readonly durationMs: number;
}

/**
 * Runs a stack's smoke command in a fresh `berth/stack-<name>:current` container under the task
 * security limits, through the launcher protocol, and checks its output (stdout + stderr)
 * against `smoke.expect`. A failure is an outcome, never a throw.
 */
export async function verifyStack(
  stack: StackDir,
  extraLabels: Readonly<Record<string, string>> = {},
): Promise<VerifyOutcome> {
  const m = stack.manifest;
  const labels = { [LABEL.role]: 'stack-verify', [LABEL.stackName]: m.name, ...extraLabels };
  const probe = await probeWithLauncher(stackImageRef(m.name, CURRENT_TAG), m.smoke.command, labels);
  const fail = (detail: string) => ({ name: m.name, ok: false, detail, durationMs: probe.durationMs });
  if (probe.error || !probe.result) return fail(probe.error ?? 'no result');
  if (!probe.ready) return fail('the launcher did not announce ready');
  const r = probe.result;
  if (r.spawnError) return fail(`smoke command could not start: ${r.spawnError}`);
  if (r.exitCode !== 0)
    return fail(`smoke command exited ${r.exitCode ?? r.signal}: ${oneLine(probe.output)}`);
  const match = new RegExp(m.smoke.expect, 'm').exec(probe.output);
  if (!match) return fail(`output does not match /${m.smoke.expect}/: ${oneLine(probe.output)}`);
  return {
    name: m.name,
    ok: true,
    detail: oneLine(linesAround(probe.output, match.index, match.index + match[0].length)),
    durationMs: probe.durationMs,
  };
}

/** The whole lines of `text` that the range [from, to) touches. */
function linesAround(text: string, from: number, to: number): string {
  const start = text.lastIndexOf('\n', from - 1) + 1;
  const end = text.indexOf('\n', to);
  return text.slice(start, end === -1 ? undefined : end);
}

function oneLine(text: string): string {
  const line = text.trim().replace(/\s*\n\s*/g, ' | ');
  return line.length > 160 ? `${line.slice(0, 160)}…` : line;
}
