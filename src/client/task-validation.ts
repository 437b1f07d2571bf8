import { isPriorityLane } from '../domain/priority-lane.js';
import { MAX_TASK_TIMEOUT_MS } from '../domain/task-event.js';
import type { TaskValidationIssue } from './client-errors.js';

type Issues = TaskValidationIssue[];

/** Reads `input[key]` from a value callers may have built in plain JavaScript (any shape). */
function field(input: unknown, key: string): unknown {
  return typeof input === 'object' && input !== null ? (input as Record<string, unknown>)[key] : undefined;
}

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
  return Array.isArray(v) ? 'an array' : typeof v;
}

function nonEmptyString(v: unknown, path: string, issues: Issues): void {
  if (typeof v !== 'string') issues.push({ path, message: `${path} ${show(v)} is not a string` });
  else if (v.length === 0) issues.push({ path, message: `${path} is empty` });
}

function stringRecord(v: unknown, path: string, issues: Issues): void {
  if (v === undefined) return;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    issues.push({ path, message: `${path} is not an object of strings` });
    return;
  }
  for (const [k, s] of Object.entries(v)) {
    if (typeof s !== 'string')
      issues.push({ path: `${path}.${k}`, message: `${path}.${k} ${show(s)} is not a string` });
  }
}

function integerIn(v: unknown, path: string, min: number, max: number, issues: Issues): void {
  if (v === undefined || v === null) return;
  if (!(typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max)) {
    const range = max === Number.MAX_SAFE_INTEGER ? `a positive integer` : `an integer in ${min}..${max}`;
    issues.push({ path, message: `${path} ${show(v)} is not ${range}` });
  }
}

function codeIssues(code: unknown, issues: Issues): void {
  if (typeof code === 'string') {
    const at = code.lastIndexOf('@');
    if (code.length === 0 || at === 0)
      issues.push({ path: 'code', message: `code ${show(code)} has no package name` });
    else if (at > 0 && !/^[1-9]\d*$/.test(code.slice(at + 1)))
      issues.push({
        path: 'code',
        message: `code reference '${code}': revision must be a positive integer`,
      });
    return;
  }
  if (typeof code !== 'object' || code === null) {
    issues.push({
      path: 'code',
      message: `code ${show(code)} is not "name", "name@rev" or { name, revision }`,
    });
    return;
  }
  nonEmptyString(field(code, 'name'), 'code.name', issues);
  integerIn(field(code, 'revision'), 'code.revision', 1, Number.MAX_SAFE_INTEGER, issues);
}

function inlineIssues(inline: unknown, issues: Issues): void {
  if (typeof inline !== 'object' || inline === null) {
    issues.push({ path: 'inline', message: `inline ${show(inline)} is not { stack, command, env? }` });
    return;
  }
  nonEmptyString(field(inline, 'stack'), 'inline.stack', issues);
  const command = field(inline, 'command');
  if (!Array.isArray(command))
    issues.push({ path: 'inline.command', message: 'inline.command is not an array of strings' });
  else if (command.length === 0) issues.push({ path: 'inline.command', message: 'inline.command is empty' });
  else
    command.forEach((arg, i) => {
      if (typeof arg !== 'string')
        issues.push({
          path: `inline.command[${i}]`,
          message: `inline.command[${i}] ${show(arg)} is not a string`,
        });
    });
  stringRecord(field(inline, 'env'), 'inline.env', issues);
}

/** `delayMs` (whole ms ≥ 0) and `runAt` (a valid `Date` or epoch ms): at most one of them. */
function scheduleIssues(delayMs: unknown, runAt: unknown, issues: Issues): void {
  if (delayMs !== undefined && runAt !== undefined) {
    issues.push({ path: 'runAt', message: 'both delayMs and runAt are set' });
    return;
  }
  integerIn(delayMs, 'delayMs', 0, Number.MAX_SAFE_INTEGER, issues);
  if (runAt === undefined) return;
  const ms = runAt instanceof Date ? runAt.getTime() : runAt;
  if (!(typeof ms === 'number' && Number.isSafeInteger(ms) && ms >= 0))
    issues.push({
      path: 'runAt',
      message: `runAt ${runAt instanceof Date ? 'is an invalid Date' : `${show(runAt)} is not a Date or epoch milliseconds`}`,
    });
}

/**
 * Every rule `input` breaks, each with the path of its `TaskInput` field; empty when it is valid.
 * Checks shapes too, for callers in plain JavaScript. The payload cap is checked separately.
 */
export function taskInputIssues(input: unknown): TaskValidationIssue[] {
  const issues: Issues = [];
  if (typeof input !== 'object' || input === null)
    return [{ path: '', message: `task ${show(input)} is not an object` }];
  const id = field(input, 'id');
  if (id !== undefined) nonEmptyString(id, 'id', issues);
  const code = field(input, 'code');
  const inline = field(input, 'inline');
  if ((code === undefined) === (inline === undefined)) {
    issues.push(
      code === undefined
        ? { path: 'code', message: 'neither code nor inline is set' }
        : { path: 'inline', message: 'both code and inline are set' },
    );
  } else if (code !== undefined) codeIssues(code, issues);
  else inlineIssues(inline, issues);
  const priority = field(input, 'priority');
  if (
    priority !== undefined &&
    priority !== 0 &&
    priority !== 1 &&
    priority !== 2 &&
    !isPriorityLane(priority)
  )
    issues.push({
      path: 'priority',
      message: `priority ${show(priority)} is not 0, 1 or 2 (or 'low', 'normal', 'high')`,
    });
  const timeoutMs = field(input, 'timeoutMs');
  if (
    timeoutMs !== undefined &&
    timeoutMs !== null &&
    !(typeof timeoutMs === 'number' && timeoutMs > 0 && timeoutMs <= MAX_TASK_TIMEOUT_MS)
  )
    issues.push({
      path: 'timeoutMs',
      message: `timeoutMs ${show(timeoutMs)} is outside 1..${MAX_TASK_TIMEOUT_MS}`,
    });
  integerIn(field(input, 'maxAttempts'), 'maxAttempts', 1, Number.MAX_SAFE_INTEGER, issues);
  integerIn(field(input, 'memoryBytes'), 'memoryBytes', 1, Number.MAX_SAFE_INTEGER, issues);
  const network = field(input, 'network');
  if (network !== undefined && typeof network !== 'boolean')
    issues.push({ path: 'network', message: `network ${show(network)} is not a boolean` });
  stringRecord(field(input, 'labels'), 'labels', issues);
  const key = field(input, 'key');
  if (key !== undefined) nonEmptyString(key, 'key', issues);
  scheduleIssues(field(input, 'delayMs'), field(input, 'runAt'), issues);
  return issues;
}
