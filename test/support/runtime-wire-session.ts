/**
 * Drives a function runtime (docs/function-runtimes.md §2) inside a real stack image, standing in for
 * the launcher: `docker run -i` with a shell harness that wires the container's stdin to the
 * runtime's fd 3 and its stdout to fd 4. One of the runtime's fd 1 / fd 2 (`merged`) shares the
 * container's stdout with fd 4, so the order of that stream's marker and the reply is observable;
 * the other goes to the container's stderr and is split per call by its markers.
 */
import { type ChildProcessWithoutNullStreams, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';

/** What the runtime answered on fd 4 for a load or a call. */
export type Reply =
  | { type: 'L' }
  | { type: 'R'; kind: string; value: Buffer }
  | { type: 'E'; message: string; stack: string };

/** One call's reply and the bytes its handler wrote to the runtime's fd 1 and fd 2. */
export interface CallOutcome {
  reply: Reply;
  stdout: string;
  stderr: string;
}

export interface CallFields {
  taskId?: string;
  attempt?: number;
  labels?: Record<string, string>;
  deadlineMs?: number;
}

export interface SessionOptions {
  image: string;
  /** Host directory mounted read-only at /opt/berth/runtime. */
  runtimeDir: string;
  /** Host directory mounted read-only at /task/code (the working directory). */
  codeDir: string;
  handler: string;
  /** Labels of the container (so a run can find and remove what it started). */
  labels: Record<string, string>;
  /** Which of the runtime's fd 1 / fd 2 shares the container's stdout with fd 4. */
  merged?: 'stdout' | 'stderr';
  env?: Record<string, string>;
}

const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');
const MARK = 0x1e;

/** Decodes one fd 4 line (without its newline). */
export function parseReply(line: string): Reply {
  const f = line.split('\t');
  if (f[0] === 'L' && f.length === 1) return { type: 'L' };
  if (f[0] === 'R' && f.length === 3)
    return { type: 'R', kind: f[1] ?? '', value: Buffer.from(f[2] ?? '', 'base64') };
  if (f[0] === 'E' && f.length === 3) {
    const text = (s: string | undefined) => Buffer.from(s ?? '', 'base64').toString('utf8');
    return { type: 'E', message: text(f[1]), stack: text(f[2]) };
  }
  throw new Error(`not a runtime reply line: ${JSON.stringify(line)}`);
}

/** Throws, naming the image, unless it is on the local engine. */
export function requireImage(image: string): void {
  try {
    execFileSync('docker', ['image', 'inspect', '--format', '{{.Id}}', image], { stdio: 'pipe' });
  } catch {
    throw new Error(
      `stack image ${image} is missing on the local Docker engine (build it: berth stacks build)`,
    );
  }
}

/** Removes every container carrying `labels`; returns their ids. */
export function removeContainers(labels: Record<string, string>): string[] {
  const filters = Object.entries(labels).flatMap(([k, v]) => ['--filter', `label=${k}=${v}`]);
  const ids = execFileSync('docker', ['ps', '-aq', ...filters])
    .toString()
    .trim()
    .split('\n')
    .filter(Boolean);
  if (ids.length > 0) execFileSync('docker', ['rm', '-f', ...ids], { stdio: 'ignore' });
  return ids;
}

export class RuntimeSession {
  private out: Buffer = Buffer.alloc(0);
  private other: Buffer = Buffer.alloc(0);
  private ended = false;
  private wake: (() => void) | null = null;
  private readonly exit: Promise<number | null>;

  private constructor(
    private readonly proc: ChildProcessWithoutNullStreams,
    private readonly name: string,
    private readonly merged: 'stdout' | 'stderr',
  ) {
    proc.stdout.on('data', (d: Buffer) => {
      this.out = this.out.length === 0 ? d : Buffer.concat([this.out, d]);
      this.poke();
    });
    proc.stderr.on('data', (d: Buffer) => {
      this.other = Buffer.concat([this.other, d]);
      this.poke();
    });
    this.exit = new Promise((resolve) => {
      proc.on('close', (code) => {
        this.ended = true;
        this.poke();
        resolve(code);
      });
    });
  }

  static start(o: SessionOptions): RuntimeSession {
    const merged = o.merged ?? 'stdout';
    // fd 3 ← container stdin, fd 4 → container stdout; fd 1/fd 2 as `merged` says; stdin /dev/null.
    const wiring = merged === 'stdout' ? '3<&0 4>&1 0</dev/null' : '3<&0 4>&1 1>&2 2>&4 0</dev/null';
    const name = `berth-rt-${randomBytes(6).toString('hex')}`;
    const args = ['run', '--rm', '-i', '--name', name, '--network', 'none', '--user', '10001:10001'];
    args.push('--read-only', '--tmpfs', '/tmp', '-w', '/task/code');
    args.push('-v', `${o.runtimeDir}:/opt/berth/runtime:ro`, '-v', `${o.codeDir}:/task/code:ro`);
    for (const [k, v] of Object.entries(o.labels)) args.push('--label', `${k}=${v}`);
    const env = {
      HOME: '/tmp',
      TASK_DIR: '/task',
      TASK_OUT: '/task/out',
      ...o.env,
      BERTH_HANDLER: o.handler,
    };
    for (const [k, v] of Object.entries(env)) args.push('-e', `${k}=${v}`);
    args.push('--entrypoint', 'sh', o.image, '-c', `exec /opt/berth/runtime/start ${wiring}`);
    return new RuntimeSession(spawn('docker', args, { stdio: 'pipe' }), name, merged);
  }

  /** The load answer (L or E) and whatever the merged stream carried before it. */
  async loaded(timeoutMs = 60_000): Promise<{ reply: Reply; before: string }> {
    return this.until(timeoutMs, 'the load reply', () => {
      const text = this.out.toString('latin1');
      const m = /(^|\n)(L|E\t[^\n]*)\n/.exec(text);
      if (!m) return undefined;
      const start = m.index + (m[1] ?? '').length;
      const before = this.out.subarray(0, start).toString('utf8');
      this.out = this.out.subarray(start + (m[2] ?? '').length + 1);
      return { reply: parseReply(m[2] ?? ''), before };
    });
  }

  /** Sends one call and waits for its reply, after the marker on both of the runtime's streams. */
  async call(payload: string | Buffer, fields: CallFields = {}, timeoutMs = 20_000): Promise<CallOutcome> {
    const marker = this.send(payload, fields);
    const { reply, before } = await this.reply(marker, timeoutMs);
    const rest = await this.otherUpTo(marker, timeoutMs);
    return this.merged === 'stdout'
      ? { reply, stdout: before, stderr: rest }
      : { reply, stdout: rest, stderr: before };
  }

  /** Writes a C line; returns its marker. */
  send(payload: string | Buffer, fields: CallFields = {}): string {
    const marker = randomBytes(16).toString('hex');
    const labels = Object.entries(fields.labels ?? {})
      .map(([k, v]) => `${b64(k)}:${b64(v)}`)
      .join(',');
    const deadline = fields.deadlineMs ?? Date.now() + 30_000;
    const line = [
      'C',
      b64(fields.taskId ?? 'task-1'),
      fields.attempt ?? 1,
      deadline,
      labels,
      b64(payload),
      marker,
    ];
    this.proc.stdin.write(`${line.join('\t')}\n`);
    return marker;
  }

  /** The reply line after `marker` on the merged stream, and the bytes before the marker. */
  async reply(marker: string, timeoutMs = 20_000): Promise<{ reply: Reply; before: string }> {
    const sentinel = Buffer.from(`\x1e${marker}\x1e`, 'latin1');
    return this.until(timeoutMs, `the reply for marker ${marker}`, () => {
      const at = this.out.indexOf(sentinel);
      if (at < 0) return undefined;
      const nl = this.out.indexOf(0x0a, at + sentinel.length);
      if (nl < 0) return undefined;
      const before = this.out.subarray(0, at).toString('utf8');
      const line = this.out.subarray(at + sentinel.length, nl).toString('latin1');
      this.out = this.out.subarray(nl + 1);
      return { reply: parseReply(line), before };
    });
  }

  /** The other stream's bytes up to `marker` (consumed). */
  private async otherUpTo(marker: string, timeoutMs: number): Promise<string> {
    const sentinel = Buffer.from(`\x1e${marker}\x1e`, 'latin1');
    return this.until(timeoutMs, `marker ${marker} on the other stream`, () => {
      const at = this.other.indexOf(sentinel);
      if (at < 0) return undefined;
      const before = this.other.subarray(0, at).toString('utf8');
      this.other = this.other.subarray(at + sentinel.length);
      return before;
    });
  }

  /** Ends fd 3 (stdin) and waits for the container's exit; returns its code and unread stream bytes. */
  async close(timeoutMs = 20_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
    this.proc.stdin.end();
    const timer = setTimeout(() => this.kill(), timeoutMs);
    const code = await this.exit;
    clearTimeout(timer);
    const [m, o] = [this.out.toString('utf8'), this.other.toString('utf8')];
    return this.merged === 'stdout' ? { code, stdout: m, stderr: o } : { code, stdout: o, stderr: m };
  }

  /** Removes the container at once. */
  kill(): void {
    try {
      execFileSync('docker', ['rm', '-f', this.name], { stdio: 'ignore' });
    } catch {
      // already gone
    }
  }

  /** True when the stream bytes contain a stray marker byte (a marker not consumed by a call). */
  strayMarkers(): boolean {
    return this.out.includes(MARK) || this.other.includes(MARK);
  }

  private poke(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  private async until<T>(timeoutMs: number, what: string, attempt: () => T | undefined): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const got = attempt();
      if (got !== undefined) return got;
      const left = deadline - Date.now();
      if (this.ended || left <= 0) {
        const state = this.ended ? 'the container exited' : `${timeoutMs} ms passed`;
        throw new Error(
          `${state} before ${what}; stdout so far: ${JSON.stringify(this.out.toString('utf8').slice(-2000))}, ` +
            `stderr so far: ${JSON.stringify(this.other.toString('utf8').slice(-2000))}`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }
}
