import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';

/** How a finished external command went: exit code (null when killed) and the output's tail. */
export interface ProcessOutcome {
  readonly exitCode: number | null;
  /** stdout and stderr, interleaved, last `tailLines` lines. */
  readonly tail: string;
  /** stdout alone, complete (for commands whose output is the answer). */
  readonly stdout: string;
}

export interface RunOptions {
  readonly cwd?: string;
  readonly input?: Readable | string;
  readonly tailLines?: number;
  readonly onLine?: (line: string) => void;
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Runs an external program (docker CLI, debootstrap, go, tar) to completion. Never throws for a
 * non-zero exit: the caller decides; a program that cannot start is reported as exit code 127.
 */
export function runProcess(
  cmd: string,
  args: readonly string[],
  opts: RunOptions = {},
): Promise<ProcessOutcome> {
  const tailLines = opts.tailLines ?? 30;
  return new Promise((resolve) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const lines: string[] = [];
    const stdoutChunks: Buffer[] = [];
    let partial = '';
    const onData = (chunk: Buffer) => {
      const text = partial + chunk.toString('utf8');
      const parts = text.split(/\r?\n|\r/);
      partial = parts.pop() ?? '';
      for (const line of parts) {
        lines.push(line);
        if (lines.length > tailLines) lines.shift();
        opts.onLine?.(line);
      }
    };
    child.stdout.on('data', (c: Buffer) => {
      stdoutChunks.push(c);
      onData(c);
    });
    child.stderr.on('data', onData);
    let spawnFailed = false;
    child.on('error', (err) => {
      spawnFailed = true;
      lines.push(`${cmd}: ${err.message}`);
    });
    child.on('close', (code) => {
      if (partial) lines.push(partial);
      const exitCode = spawnFailed ? 127 : code;
      resolve({
        exitCode,
        tail: lines.slice(-tailLines).join('\n'),
        stdout: Buffer.concat(stdoutChunks).toString('utf8'),
      });
    });
    child.stdin.on('error', () => {}); // the program may exit before reading all input
    if (typeof opts.input === 'string') child.stdin.end(opts.input);
    else if (opts.input) opts.input.pipe(child.stdin);
    else child.stdin.end();
  });
}
