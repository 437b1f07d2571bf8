import { InfraError } from '../domain/infra-error.js';
import type { ReturnValueKind, TaskResult } from '../domain/task-result.js';
import type { ResultSource } from './result-source.js';

/**
 * An attempt as the console's API returns it (docs/console-openapi.yaml, `Attempt`): a TaskResult
 * whose bytes travel as base64.
 */
interface ApiAttempt extends Omit<TaskResult, 'stdout' | 'stderr' | 'outputs' | 'returnValue'> {
  readonly stdoutBase64: string;
  readonly stderrBase64: string;
  readonly outputs: readonly { readonly name: string; readonly base64: string }[];
  readonly returnValue: { readonly kind: ReturnValueKind; readonly base64: string } | null;
}

/** A task row of the console's list (`TaskSummary` in the OpenAPI file). */
export interface ConsoleTaskSummary {
  readonly id: string;
  readonly status: string;
  readonly finishedAtMs: number | null;
}

/** Filters of `GET /api/tasks`, as the CLI passes them. */
export interface ConsoleTaskQuery {
  readonly status?: readonly string[];
  readonly ids?: readonly string[];
  readonly fromMs?: number;
  readonly limit?: number;
  readonly cursor?: string;
}

/** An API attempt back as the TaskResult it was stored from (bytes exact, via base64). */
export function attemptToResult(a: ApiAttempt): TaskResult {
  const bytes = (b64: string) => new Uint8Array(Buffer.from(b64, 'base64'));
  return {
    id: a.id,
    attempt: a.attempt,
    status: a.status,
    exitCode: a.exitCode,
    reason: a.reason,
    stack: a.stack,
    stackImage: a.stackImage,
    codeName: a.codeName,
    codeRevision: a.codeRevision,
    codeDigest: a.codeDigest,
    workerId: a.workerId,
    sourceTopic: a.sourceTopic,
    sourcePartition: a.sourcePartition,
    sourceOffset: a.sourceOffset,
    queueWaitMs: a.queueWaitMs,
    startLatencyMs: a.startLatencyMs,
    runMs: a.runMs,
    finishedAtMs: a.finishedAtMs,
    labels: a.labels,
    stdout: bytes(a.stdoutBase64),
    stdoutTruncated: a.stdoutTruncated,
    stderr: bytes(a.stderrBase64),
    stderrTruncated: a.stderrTruncated,
    outputs: a.outputs.map((o) => ({ name: o.name, data: bytes(o.base64) })),
    outputsTruncated: a.outputsTruncated,
    returnValue: a.returnValue ? { kind: a.returnValue.kind, data: bytes(a.returnValue.base64) } : null,
  };
}

/**
 * Results looked up in a Berth console's store over its HTTP API (`berth console`), instead of
 * scanning the results topic: one request per lookup, whatever the topic's size. Contract as
 * `ResultSource`; results the console has not stored yet (it follows the topic within about a
 * second) are not returned. An unreachable console or a refused token rejects with `InfraError`
 * (`retriable` for the first).
 */
export class ConsoleResultSource implements ResultSource {
  private readonly base: URL;

  constructor(
    url: string,
    private readonly token: string | null = null,
  ) {
    this.base = new URL(url.endsWith('/') ? url : `${url}/`);
  }

  /** From BERTH_CONSOLE_URL (and BERTH_CONSOLE_TOKEN); null when no console is configured. */
  static fromEnv(env: NodeJS.ProcessEnv = process.env): ConsoleResultSource | null {
    const url = env.BERTH_CONSOLE_URL;
    return url ? new ConsoleResultSource(url, env.BERTH_CONSOLE_TOKEN || null) : null;
  }

  get url(): string {
    return this.base.toString();
  }

  async resultsFor(taskId: string, opts: { readonly signal?: AbortSignal } = {}): Promise<TaskResult[]> {
    const body = await this.get<{ attempts: ApiAttempt[] }>(
      `api/tasks/${encodeURIComponent(taskId)}`,
      opts.signal,
    );
    return body === null ? [] : body.attempts.map(attemptToResult);
  }

  /** One page of the task list, newest first. */
  async tasks(
    q: ConsoleTaskQuery,
    signal?: AbortSignal,
  ): Promise<{ items: ConsoleTaskSummary[]; nextCursor: string | null }> {
    const params = new URLSearchParams();
    if (q.status?.length) params.set('status', q.status.join(','));
    if (q.fromMs !== undefined) params.set('from', String(q.fromMs));
    if (q.limit !== undefined) params.set('limit', String(q.limit));
    if (q.cursor) params.set('cursor', q.cursor);
    const body = await this.get<{ items: ConsoleTaskSummary[]; nextCursor: string | null }>(
      `api/tasks?${params}`,
      signal,
    );
    return body ?? { items: [], nextCursor: null };
  }

  /** The parsed JSON body, or null for 404. */
  private async get<T>(path: string, signal?: AbortSignal): Promise<T | null> {
    const url = new URL(path, this.base);
    let res: Response;
    try {
      res = await fetch(url, {
        signal,
        headers: this.token ? { authorization: `Bearer ${this.token}` } : {},
      });
    } catch (err) {
      if (signal?.aborted) throw err;
      throw new InfraError(`console unreachable at ${this.base}: ${(err as Error).message}`, {
        retriable: true,
        component: 'other',
        cause: err,
      });
    }
    if (res.status === 404) return null;
    if (!res.ok) {
      const text = await res.text().catch(() => '');
      throw new InfraError(`console at ${this.base} answered ${res.status}: ${text.slice(0, 200)}`, {
        retriable: res.status >= 500,
        component: 'other',
      });
    }
    return (await res.json()) as T;
  }
}
