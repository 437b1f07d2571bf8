import { InfraError } from '../domain/infra-error.js';

/** Error codes of a socket or HTTP connection that mean "the engine is not reachable right now". */
const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOENT',
  'EPIPE',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'EAI_AGAIN',
  'EHOSTUNREACH',
]);

interface EngineErrorShape {
  statusCode?: number;
  code?: string;
  reason?: string;
  json?: { message?: string } | null;
  message?: string;
}

/**
 * Translates anything the Docker engine client threw into an `InfraError` (component `docker`).
 * Contract: connection failures, timeouts and 5xx answers are retriable; 4xx answers ("no such
 * image", "conflict", bad request) are not, because repeating the same call cannot succeed.
 * An `InfraError` passes through unchanged.
 */
export function toDockerInfraError(err: unknown, action: string): InfraError {
  if (err instanceof InfraError) return err;
  const e = (typeof err === 'object' && err !== null ? err : {}) as EngineErrorShape;
  const detail = e.json?.message ?? e.reason ?? e.message ?? String(err);
  const status = typeof e.statusCode === 'number' ? e.statusCode : null;
  const retriable = status === null ? isTransientCode(e.code, detail) : status >= 500;
  const where = status === null ? (e.code ?? 'no answer') : `HTTP ${status}`;
  return new InfraError(`docker ${action} failed (${where}): ${firstLine(detail)}`, {
    retriable,
    component: 'docker',
    cause: err,
  });
}

/** True when the engine answered "not found" (404): the object is already gone. */
export function isNotFound(err: unknown): boolean {
  return statusOf(err) === 404;
}

/** True when the engine answered 409 (e.g. kill of a container that is not running). */
export function isConflict(err: unknown): boolean {
  return statusOf(err) === 409;
}

function statusOf(err: unknown): number | null {
  if (typeof err !== 'object' || err === null) return null;
  const status = (err as EngineErrorShape).statusCode;
  return typeof status === 'number' ? status : null;
}

function isTransientCode(code: string | undefined, detail: string): boolean {
  if (code !== undefined && TRANSIENT_CODES.has(code)) return true;
  return /timeout|timed out|socket hang up|connect/i.test(detail);
}

function firstLine(text: string): string {
  const line = text.split('\n', 1)[0] ?? '';
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}
