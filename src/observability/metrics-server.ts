/**
 * The worker's HTTP endpoint (node:http): `/metrics` (Prometheus text), `/healthz` (200 while the
 * process serves requests), `/readyz` (200 only when Kafka and Docker both answer and the worker is
 * not draining, else 503; both with a JSON body).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface Readiness {
  readonly kafka: boolean;
  readonly docker: boolean;
}

export interface MetricsServerOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly registry: Registry;
  readonly readiness: () => Promise<Readiness>;
  /** A readiness probe slower than this counts as not ready. */
  readonly readinessTimeoutMs: number;
  /** While true, /readyz answers 503 without probing. */
  readonly draining: () => boolean;
}

export interface MetricsServer {
  readonly url: string;
  close(): Promise<void>;
}

/** Starts listening; resolves once bound. Rejects when the port cannot be bound. */
export async function startMetricsServer(opts: MetricsServerOptions): Promise<MetricsServer> {
  const server = createServer((req, res) => {
    handle(opts, req, res).catch(() => send(res, 500, 'text/plain', 'internal error\n'));
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return { url: `http://${host}:${port}`, close: () => closeServer(server) };
}

async function handle(opts: MetricsServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    send(res, 405, 'text/plain', 'method not allowed\n');
  } else if (path === '/metrics') {
    send(res, 200, opts.registry.contentType, await opts.registry.metrics());
  } else if (path === '/healthz') {
    send(res, 200, 'application/json', JSON.stringify({ status: 'ok' }));
  } else if (path === '/readyz' && opts.draining()) {
    send(res, 503, 'application/json', JSON.stringify({ ready: false, draining: true }));
  } else if (path === '/readyz') {
    const r = await probe(opts);
    const ready = r.kafka && r.docker;
    send(res, ready ? 200 : 503, 'application/json', JSON.stringify({ ready, ...r }));
  } else {
    send(res, 404, 'text/plain', 'not found\n');
  }
}

/** Runs the readiness callback with a timeout; a throw or a timeout means not ready. */
async function probe(opts: MetricsServerOptions): Promise<Readiness & { error?: string }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('readiness probe timed out')), opts.readinessTimeoutMs);
  });
  try {
    const r = await Promise.race([opts.readiness(), timeout]);
    return { kafka: r.kafka === true, docker: r.docker === true };
  } catch (err) {
    return { kafka: false, docker: false, error: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
  res.end(body);
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
