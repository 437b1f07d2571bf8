import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { sleep } from '../resilience/retry.js';

/**
 * A background daemon started by `berth infra up`, remembered by a pid file so `down` stops only
 * what `up` started. The pid file holds "<pid> <start-marker>", the marker being the process's
 * start time from /proc, so a recycled pid is never mistaken for ours.
 */
export interface ManagedProcess {
  readonly name: string;
  readonly pidFile: string;
  readonly logFile: string;
}

function procStartTime(pid: number): Promise<string | null> {
  return readFile(`/proc/${pid}/stat`, 'utf8').then(
    (stat) => stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null,
    () => null,
  );
}

/** The pid of our still-running process, or null (stale pid files are removed). */
export async function runningPid(proc: ManagedProcess): Promise<number | null> {
  const text = await readFile(proc.pidFile, 'utf8').catch(() => null);
  if (text === null) return null;
  const [pidText, marker] = text.trim().split(' ');
  const pid = Number(pidText);
  if (Number.isInteger(pid) && pid > 0 && (await procStartTime(pid)) === marker) return pid;
  await rm(proc.pidFile, { force: true });
  return null;
}

/** A process `startDetached` started: its pid and, once it has exited, how. */
export interface StartedProcess {
  readonly pid: number;
  /** `exit code N` or `signal SIG` once the process has exited (seen by this process), else null. */
  exitStatus(): string | null;
}

/** Starts `command` detached, output appended to the log file, and records its pid. */
export async function startDetached(
  proc: ManagedProcess,
  command: string,
  args: readonly string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<StartedProcess> {
  const log = openSync(proc.logFile, 'a');
  const child = spawn(command, args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    detached: true,
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  let exit: string | null = null;
  child.once('exit', (code, signal) => {
    exit = signal ? `signal ${signal}` : `exit code ${code}`;
  });
  const pid = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('spawn', () => resolve(child.pid ?? -1));
  });
  child.unref();
  await writeFile(proc.pidFile, `${pid} ${(await procStartTime(pid)) ?? ''}\n`);
  return { pid, exitStatus: () => exit };
}

/** SIGTERM, wait up to `graceMs`, then SIGKILL. Returns false when nothing of ours was running. */
export async function stopManaged(proc: ManagedProcess, graceMs: number): Promise<boolean> {
  const pid = await runningPid(proc);
  if (pid === null) return false;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && (await procStartTime(pid)) !== null) await sleep(200);
  if ((await procStartTime(pid)) !== null) process.kill(pid, 'SIGKILL');
  await rm(proc.pidFile, { force: true });
  return true;
}

/** Last `lines` lines of a log file, for error messages. */
export async function logTail(file: string, lines = 15): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}
