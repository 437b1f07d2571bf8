import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Absolute path of the compiled CLI (tests run after `npm run build`). */
export const berthCli = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'cli', 'main.js');

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `berth <args>` as a separate process with extra environment, collecting its output. */
export function runBerth(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 240_000,
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [berthCli, ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A `berth` process still running: its output so far, when lines appeared, its exit. */
export interface LiveBerth {
  readonly child: ReturnType<typeof spawn>;
  /** Resolves with the exit code once the process closed. */
  readonly exited: Promise<number | null>;
  out(): { stdout: string; stderr: string };
  /** Resolves with the ms since start at which `pattern` first matched stderr; rejects on exit. */
  stderrMatch(pattern: RegExp): Promise<number>;
}

/** Starts `berth <args>` without waiting for it, for tests that signal it or time its output. */
export function startBerth(args: readonly string[], env: NodeJS.ProcessEnv = {}): LiveBerth {
  const started = Date.now();
  const child = spawn(process.execPath, [berthCli, ...args], { env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  const watchers = new Set<() => void>();
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    for (const w of [...watchers]) w();
  });
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return {
    child,
    exited,
    out: () => ({ stdout, stderr }),
    stderrMatch: (pattern) =>
      new Promise<number>((resolve, reject) => {
        const check = () => {
          if (!pattern.test(stderr)) return;
          watchers.delete(check);
          resolve(Date.now() - started);
        };
        watchers.add(check);
        check();
        void exited.then(() => {
          if (watchers.delete(check)) reject(new Error(`exited before ${pattern} appeared: ${stderr}`));
        });
      }),
  };
}
