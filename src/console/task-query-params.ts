import { TASK_STATUSES } from '../domain/task-result.js';
import type { TaskFilter } from './result-store.js';

/** Statuses the task list filters on: the result statuses and QUEUED (no result yet). */
export const LIST_STATUSES = ['QUEUED', ...TASK_STATUSES] as const;

export const DEFAULT_PAGE = 50;
export const MAX_PAGE = 500;

/** A query parameter the API cannot use: answered 400 with this message. */
export class BadQuery extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BadQuery';
  }
}

/** Epoch ms, or an ISO 8601 time. */
function timeParam(text: string, name: string): number {
  const ms = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(ms))
    throw new BadQuery(`${name}: '${text}' is neither epoch milliseconds nor an ISO 8601 time`);
  return ms;
}

/** `limit`: 1..MAX_PAGE, default DEFAULT_PAGE. */
export function limitParam(q: URLSearchParams): number {
  const text = q.get('limit');
  if (text === null) return DEFAULT_PAGE;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE)
    throw new BadQuery(`limit: '${text}' is not 1..${MAX_PAGE}`);
  return n;
}

/**
 * The task list's filters from a query string: `status` (repeatable or comma-separated, any
 * case), `package`, `stack`, `worker`, `id`, `label` (repeatable `key=value`), `from`/`to`
 * (epoch ms or ISO 8601), `limit`, `cursor`.
 */
export function taskFilterOf(q: URLSearchParams): TaskFilter {
  const status = q
    .getAll('status')
    .flatMap((s) => s.split(','))
    .map((s) => s.trim().toUpperCase())
    .filter((s) => s !== '');
  for (const s of status) {
    if (!(LIST_STATUSES as readonly string[]).includes(s))
      throw new BadQuery(`status: '${s}' is not one of ${LIST_STATUSES.join(', ')}`);
  }
  const labels: Record<string, string> = {};
  for (const pair of q.getAll('label')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new BadQuery(`label: expected key=value, got '${pair}'`);
    labels[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  const text = (name: string) => {
    const v = q.get(name);
    return v === null || v === '' ? undefined : v;
  };
  const from = text('from');
  const to = text('to');
  return {
    status,
    package: text('package'),
    stack: text('stack'),
    worker: text('worker'),
    id: text('id'),
    labels,
    fromMs: from === undefined ? undefined : timeParam(from, 'from'),
    toMs: to === undefined ? undefined : timeParam(to, 'to'),
    limit: limitParam(q),
    cursor: text('cursor'),
  };
}
