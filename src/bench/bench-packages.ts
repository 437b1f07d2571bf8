import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TaskResult } from '../domain/task-result.js';

/**
 * The trivial code packages the worker benches push:
 * - `node-function` / `python-function`: function mode, a handler that returns its payload
 *   (Node 20 `(p) => p`, Python 3.11 `return p`), so the result's return value is the payload's bytes;
 * - `hot-shell` / `hot-node`: HOT process mode, one process per task in a long-lived container
 *   that writes its payload file to stdout (`sh -c 'cat "$PAYLOAD_FILE"'` on the shell stack, or
 *   `node -e` on node-20), so the result's stdout is the payload.
 */
export const BENCH_PACKAGE_KINDS = ['node-function', 'python-function', 'hot-shell', 'hot-node'] as const;
export type BenchPackageKind = (typeof BENCH_PACKAGE_KINDS)[number];

export interface BenchPackage {
  readonly kind: BenchPackageKind;
  readonly name: string;
  /** One line for reports, e.g. "node-20 handler (p) => p". */
  readonly description: string;
  /** berth.json. */
  readonly manifest: Readonly<Record<string, unknown>>;
  /** Other files of the package, by relative path. */
  readonly files: Readonly<Record<string, string>>;
  /** For a SUCCEEDED result of the task whose payload was `payload`: null when it answers right, else why not. */
  readonly check: (result: TaskResult, payload: Uint8Array) => string | null;
}

export function isBenchPackageKind(s: string): s is BenchPackageKind {
  return (BENCH_PACKAGE_KINDS as readonly string[]).includes(s);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}

/** A function-mode handler that returns its payload: the return value is those bytes (kind BYTES). */
export function checkReturnsPayload(result: TaskResult, payload: Uint8Array): string | null {
  const rv = result.returnValue;
  if (rv == null) return 'no return value';
  if (rv.kind !== 'BYTES') return `return value of kind ${rv.kind}, expected BYTES`;
  if (!sameBytes(rv.data, payload))
    return `return value ${JSON.stringify(Buffer.from(rv.data).toString().slice(0, 80))} is not the payload`;
  return null;
}

/** A process that writes its payload file to stdout: stdout is the payload, not cut. */
export function checkStdoutIsPayload(result: TaskResult, payload: Uint8Array): string | null {
  if (result.stdoutTruncated) return 'stdout truncated';
  if (!sameBytes(result.stdout, payload))
    return `stdout ${JSON.stringify(Buffer.from(result.stdout).toString().slice(0, 80))} is not the payload`;
  return null;
}

/** A distinct small JSON payload per task (the shape of a transaction). */
export function benchPayload(id: string, i: number): Uint8Array {
  return Buffer.from(JSON.stringify({ id, i, amount: (i * 7919) % 100_000, currency: 'EUR' }));
}

/** The package of `kind` named `name`, at most `maxConcurrency` containers per worker. */
export function benchPackage(kind: BenchPackageKind, name: string, maxConcurrency: number): BenchPackage {
  const common = { name, maxConcurrency, timeoutMs: 10_000, memoryBytes: 128 * 1024 * 1024 };
  switch (kind) {
    case 'node-function':
      return {
        kind,
        name,
        description: 'node-20 handler (p) => p',
        manifest: { ...common, stack: 'node-20', handler: 'echo.js:handle' },
        files: { 'echo.js': 'exports.handle = (payload) => payload;\n' },
        check: checkReturnsPayload,
      };
    case 'python-function':
      return {
        kind,
        name,
        description: 'python-3.11 handler return payload',
        manifest: { ...common, stack: 'python-3.11', handler: 'echo.py:handle' },
        files: { 'echo.py': 'def handle(payload, ctx):\n    return payload\n' },
        check: checkReturnsPayload,
      };
    case 'hot-shell':
      return {
        kind,
        name,
        description: `shell: sh -c 'cat "$PAYLOAD_FILE"'`,
        manifest: {
          ...common,
          stack: 'shell',
          isolation: 'HOT',
          command: ['sh', '-c', 'cat "$PAYLOAD_FILE"'],
        },
        files: {},
        check: checkStdoutIsPayload,
      };
    case 'hot-node':
      return {
        kind,
        name,
        description: 'node-20: node -e (write $PAYLOAD_FILE to stdout)',
        manifest: {
          ...common,
          stack: 'node-20',
          isolation: 'HOT',
          command: [
            'node',
            '-e',
            "process.stdout.write(require('fs').readFileSync(process.env.PAYLOAD_FILE))",
          ],
        },
        files: {},
        check: checkStdoutIsPayload,
      };
  }
}

/** Writes the package's berth.json and files into `dir` (created when missing). */
export async function writeBenchPackage(dir: string, pkg: BenchPackage): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'berth.json'), `${JSON.stringify(pkg.manifest, null, 2)}\n`);
  for (const [path, text] of Object.entries(pkg.files)) await writeFile(join(dir, path), text);
}
