import { timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InfraError } from '../domain/infra-error.js';
import { attemptJson, dlqJson, packagesJson, taskJson, workerJson } from './api-views.js';
import { consolePage } from './console-page.js';
import type { ResultStore } from './result-store.js';
import type { StoreFeed } from './store-feed.js';
import { ActionRefused, type TaskActions } from './task-actions.js';
import { BadQuery, limitParam, taskFilterOf } from './task-query-params.js';

/** A worker that has not reported for this long is shown as stale (it reports every few seconds). */
export const WORKER_STALE_AFTER_MS = 30_000;

const OPENAPI_FILE = new URL('../../docs/console-openapi.yaml', import.meta.url);
const TOKEN_COOKIE = 'berth_console_token';
const MAX_BODY_BYTES = 16 * 1024;

export interface ConsoleHttpOptions {
  readonly store: ResultStore;
  readonly feed: StoreFeed;
  readonly actions: TaskActions;
  readonly token: string | null;
  /** For /api/health. */
  readonly describe: () => Record<string, unknown>;
  readonly now?: () => number;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The console's HTTP server: the JSON query API under /api (docs/console-openapi.yaml), server-
 * sent events on /api/events after each stored batch, and the web UI at /. Contract: with a token
 * configured every request must carry it (`Authorization: Bearer`, the cookie the UI sets, or
 * `?token=` on the page); POSTs must be `application/json` (a cross-site form cannot send that);
 * errors are JSON `{ "error": "..." }` with 400 (bad query), 401, 404, 409 or 502 (Kafka).
 */
export class ConsoleHttp {
  private readonly server: Server;
  private readonly now: () => number;

  constructor(private readonly opts: ConsoleHttpOptions) {
    this.now = opts.now ?? Date.now;
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        const status = httpStatusOf(err);
        if (status === 500) process.stderr.write(`berth console: ${(err as Error).stack ?? String(err)}\n`);
        if (!res.headersSent) sendJson(res, status, { error: (err as Error).message });
        else res.end();
      });
    });
  }

  /** Listens; resolves with the bound port. */
  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://console');
    const path = url.pathname;
    const tokenInQuery = url.searchParams.get('token');
    if (!this.authorized(req, tokenInQuery)) throw new HttpError(401, 'a valid console token is required');
    const method = req.method ?? 'GET';
    if (method === 'POST' && !(req.headers['content-type'] ?? '').startsWith('application/json'))
      throw new HttpError(415, 'POST bodies must be application/json');

    if (method === 'GET' && (path === '/' || path === '/index.html')) {
      const headers: Record<string, string> = {};
      if (tokenInQuery && this.opts.token)
        headers['set-cookie'] =
          `${TOKEN_COOKIE}=${encodeURIComponent(tokenInQuery)}; HttpOnly; SameSite=Strict; Path=/`;
      return sendText(res, 200, 'text/html; charset=utf-8', consolePage(), headers);
    }
    if (!path.startsWith('/api/')) throw new HttpError(404, `no page ${path}`);
    const parts = path.slice('/api/'.length).split('/').map(decodeURIComponent);
    const q = url.searchParams;
    const store = this.opts.store;
    const route = `${method} ${parts[0]}${parts.length > 1 ? '/:id' : ''}${parts.length > 2 ? `/${parts[2]}` : ''}`;
    switch (route) {
      case 'GET health':
        return sendJson(res, 200, { ok: true, ...this.opts.describe(), feed: this.opts.feed.counters });
      case 'GET summary':
        return sendJson(res, 200, { statuses: await store.statusCounts() });
      case 'GET tasks': {
        const page = await store.tasks(taskFilterOf(q));
        return sendJson(res, 200, { items: page.items.map(taskJson), nextCursor: page.nextCursor });
      }
      case 'GET tasks/:id': {
        const found = await store.task(parts[1] as string);
        if (!found) throw new HttpError(404, `no task ${parts[1]}`);
        return sendJson(res, 200, { task: taskJson(found.task), attempts: found.attempts.map(attemptJson) });
      }
      case 'POST tasks/:id/cancel': {
        const body = await jsonBody(req);
        const reason = typeof body.reason === 'string' ? body.reason : 'cancelled from the console';
        await this.opts.actions.cancel(parts[1] as string, reason);
        return sendJson(res, 202, { cancelRequested: parts[1] });
      }
      case 'POST tasks/:id/resubmit': {
        await jsonBody(req);
        return sendJson(res, 202, { id: await this.opts.actions.resubmit(parts[1] as string) });
      }
      case 'GET dlq': {
        const page = await store.dlq(limitParam(q), q.get('cursor') || undefined);
        return sendJson(res, 200, { items: page.items.map(dlqJson), nextCursor: page.nextCursor });
      }
      case 'POST dlq/:id/replay': {
        await jsonBody(req);
        return sendJson(res, 202, {
          replayed: parts[1],
          taskId: await this.opts.actions.replay(parts[1] as string),
        });
      }
      case 'GET workers': {
        const rows = await store.workers();
        const nowMs = this.now();
        return sendJson(res, 200, { items: rows.map((w) => workerJson(w, nowMs, WORKER_STALE_AFTER_MS)) });
      }
      case 'GET stacks':
        return sendJson(res, 200, { items: await store.stacks() });
      case 'GET packages':
        return sendJson(res, 200, { items: packagesJson(await store.packages()) });
      case 'GET events':
        return this.events(req, res);
      case 'GET openapi.yaml': {
        const text = await readFile(OPENAPI_FILE, 'utf8').catch(() => null);
        if (text === null)
          throw new HttpError(404, 'docs/console-openapi.yaml is not installed with this build');
        return sendText(res, 200, 'application/yaml; charset=utf-8', text);
      }
      default:
        throw new HttpError(404, `no route ${method} ${path}`);
    }
  }

  /** Server-sent events: `stored` after each batch the feed wrote (at most every 500 ms). */
  private events(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    });
    res.write(': connected\n\n');
    let pending: NodeJS.Timeout | null = null;
    const off = this.opts.feed.onStored(() => {
      pending ??= setTimeout(() => {
        pending = null;
        res.write(`event: stored\ndata: ${this.opts.feed.counters.stored}\n\n`);
      }, 500);
    });
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    req.once('close', () => {
      off();
      clearInterval(keepAlive);
      if (pending) clearTimeout(pending);
    });
  }

  private authorized(req: IncomingMessage, tokenInQuery: string | null): boolean {
    const token = this.opts.token;
    if (token === null) return true;
    const auth = req.headers.authorization;
    const cookie = (req.headers.cookie ?? '')
      .split(';')
      .map((c) => c.trim())
      .find((c) => c.startsWith(`${TOKEN_COOKIE}=`));
    const offered = [
      auth?.startsWith('Bearer ') ? auth.slice(7) : null,
      cookie ? decodeURIComponent(cookie.slice(TOKEN_COOKIE.length + 1)) : null,
      tokenInQuery,
    ];
    return offered.some((o) => o !== null && sameSecret(o, token));
  }
}

/** 4xx for what the caller can fix, 502 for Kafka or the store refusing, 500 for bugs. */
function httpStatusOf(err: unknown): number {
  if (err instanceof HttpError) return err.status;
  if (err instanceof BadQuery || err instanceof RangeError) return 400;
  if (err instanceof ActionRefused) return err.httpStatus;
  if (err instanceof InfraError) return 502;
  return 500;
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

async function jsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, `request body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  try {
    const v = JSON.parse(text) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new HttpError(400, 'request body is not a JSON object');
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  sendText(res, status, 'application/json; charset=utf-8', JSON.stringify(body));
}

function sendText(
  res: ServerResponse,
  status: number,
  type: string,
  text: string,
  extra: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'content-type': type,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'content-security-policy':
      "default-src 'self'; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'",
    ...extra,
  });
  res.end(text);
}
