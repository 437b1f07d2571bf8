import { execFile, spawn } from 'node:child_process';
import { access, constants, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One closed-loop case of the Fn peer's bench client (`bin/bench`, one JSON line). */
export interface FnPeerCase {
  readonly calls: number;
  readonly concurrency: number;
  readonly ok: number;
  readonly errors: number;
  readonly callsPerSecond: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
}

export type FnPeerFigures =
  | {
      readonly kind: 'measured';
      readonly c1: FnPeerCase;
      readonly c4: FnPeerCase;
      /** Fn cold call p50 (no container alive), from table.md; null when absent. */
      readonly coldP50Ms: number | null;
      /** The peer run's own `docker run --rm` reference p50, from table.md; null when absent. */
      readonly dockerRunP50Ms: number | null;
      readonly resultsDir: string;
      /** Anything the run changed from the script's defaults (e.g. no docker run reference). */
      readonly notes: readonly string[];
    }
  | { readonly kind: 'skipped'; readonly why: string };

const FN_IMAGE = 'peer-fn/echo-go:0.0.1';
const REFERENCE_IMAGE = 'berth/stack-shell:current';

function num(o: Record<string, unknown>, key: string): number {
  const v = o[key];
  if (typeof v !== 'number') throw new Error(`bench json: '${key}' is not a number`);
  return v;
}

/** Parses one line of `bin/bench` output (rps, p50_ms, … as numbers). */
export function parseFnBenchJson(text: string): FnPeerCase {
  const parsed: unknown = JSON.parse(text.trim().split('\n').at(-1) ?? '');
  if (typeof parsed !== 'object' || parsed === null) throw new Error('bench json: not an object');
  const o = parsed as Record<string, unknown>;
  return {
    calls: num(o, 'n'),
    concurrency: num(o, 'c'),
    ok: num(o, 'ok'),
    errors: num(o, 'errors'),
    callsPerSecond: num(o, 'rps'),
    p50Ms: num(o, 'p50_ms'),
    p95Ms: num(o, 'p95_ms'),
    p99Ms: num(o, 'p99_ms'),
  };
}

/** The `p50=` of the table.md row starting with `| <rowStart>`; null when absent. */
export function parseTableP50(tableMd: string, rowStart: string): number | null {
  const row = tableMd.split('\n').find((l) => l.startsWith(`| ${rowStart}`));
  const m = row?.match(/p50=([0-9.]+)/);
  return m?.[1] === undefined ? null : Number(m[1]);
}

/** The directory measure.sh reports on its last `results: <dir>` line; null when none. */
export function parseResultsDir(stdout: string): string | null {
  const lines = stdout.split('\n').filter((l) => l.startsWith('results: '));
  return lines.at(-1)?.slice('results: '.length).trim() || null;
}

export function fnPeerDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.PEER_DIR ?? join(homedir(), '.cache', 'berth-peers', 'fn');
}

/** `../shared/peers/fn/measure.sh` next to the project root (or FN_PEER_MEASURE). */
export function fnMeasureScript(env: NodeJS.ProcessEnv = process.env): string {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
  return env.FN_PEER_MEASURE ?? resolve(root, '..', 'shared', 'peers', 'fn', 'measure.sh');
}

async function executable(path: string): Promise<boolean> {
  return access(path, constants.X_OK).then(
    () => true,
    () => false,
  );
}

function imageExists(image: string): Promise<boolean> {
  return new Promise((res) => execFile('docker', ['image', 'inspect', image], (err) => res(err === null)));
}

/** Why the peer cannot be measured now (not built, script missing), or null when it can. */
export async function fnPeerMissing(peerDir: string, script: string): Promise<string | null> {
  if (!(await executable(script))) return `no measure script at ${script}`;
  for (const bin of ['fnserver', 'bench']) {
    if (!(await executable(join(peerDir, 'bin', bin))))
      return `Fn peer not built (${join(peerDir, 'bin', bin)} missing; run ../shared/peers/fn/build.sh)`;
  }
  if (!(await imageExists(FN_IMAGE))) return `Fn peer not built (image ${FN_IMAGE} missing)`;
  return null;
}

function run(
  script: string,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((res, rej) => {
    const child = spawn('bash', [script], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    // SIGTERM lets measure.sh's EXIT trap stop its fnserver and remove its containers.
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('error', rej);
    child.on('close', (code) => {
      clearTimeout(timer);
      res({ code, stdout, stderr });
    });
  });
}

/**
 * Runs the Fn peer measurement (`measure.sh`, `n` calls per hot case) when the peer is built and
 * returns its hot calls/s and latencies at concurrency 1 and 4; otherwise says why it was skipped.
 * Never builds the peer (that takes minutes): it checks first, since measure.sh would.
 */
export async function measureFnPeer(
  opts: { readonly n?: number; readonly timeoutMs?: number; readonly env?: NodeJS.ProcessEnv } = {},
): Promise<FnPeerFigures> {
  const env = opts.env ?? process.env;
  const peerDir = fnPeerDir(env);
  const script = fnMeasureScript(env);
  const missing = await fnPeerMissing(peerDir, script);
  if (missing !== null) return { kind: 'skipped', why: missing };
  const notes: string[] = [];
  const runEnv: NodeJS.ProcessEnv = {
    ...env,
    PEER_DIR: peerDir,
    N: String(opts.n ?? 500),
    PATH: `${env.PATH ?? ''}:/usr/local/go/bin`,
  };
  if (!(await imageExists(REFERENCE_IMAGE))) {
    runEnv.DOCKER_N = '0';
    notes.push(`${REFERENCE_IMAGE} missing: no docker run reference in the peer run`);
  }
  const r = await run(script, runEnv, opts.timeoutMs ?? 15 * 60_000);
  const dir = parseResultsDir(r.stdout);
  if (r.code !== 0 || dir === null) {
    const last = r.stderr.trim().split('\n').at(-1) ?? '';
    return { kind: 'skipped', why: `measure.sh exited ${r.code ?? 'by signal'}: ${last}` };
  }
  try {
    const [c1, c4, table] = await Promise.all([
      readFile(join(dir, 'hot_c1.json'), 'utf8'),
      readFile(join(dir, 'hot_c4.json'), 'utf8'),
      readFile(join(dir, 'table.md'), 'utf8').catch(() => ''),
    ]);
    return {
      kind: 'measured',
      c1: parseFnBenchJson(c1),
      c4: parseFnBenchJson(c4),
      coldP50Ms: parseTableP50(table, 'Fn cold call'),
      dockerRunP50Ms: parseTableP50(table, 'docker run --rm'),
      resultsDir: dir,
      notes,
    };
  } catch (err) {
    return { kind: 'skipped', why: `cannot read results in ${dir}: ${(err as Error).message}` };
  }
}
