import { runProcess } from './process-runner.js';

/** The task security limits every probe container runs under (see DESIGN.md, Execution). */
export const TASK_SECURITY_FLAGS: readonly string[] = Object.freeze([
  '--read-only',
  '--tmpfs',
  '/task:uid=10001,gid=10001,mode=0755,size=64m',
  '--tmpfs',
  '/tmp:uid=10001,gid=10001,mode=1777,size=64m',
  '--user',
  '10001:10001',
  '--network',
  'none',
  '--cap-drop',
  'ALL',
  '--security-opt',
  'no-new-privileges',
  '--pids-limit',
  '256',
  '--memory',
  '768m',
  '--memory-swap',
  '768m',
]);

/** What a probe run through the launcher protocol produced. */
export interface ProbeResult {
  /** The launcher announced `{"type":"ready"}` first. */
  readonly ready: boolean;
  /** The parsed result frame, or null when none came back. */
  readonly result: LauncherResultFrame | null;
  /** stdout + stderr of the task, decoded. */
  readonly output: string;
  /** Why the probe itself failed (no container, no frames), or null. */
  readonly error: string | null;
  readonly durationMs: number;
}

/** The fields of the launcher's result frame the probes look at. */
export interface LauncherResultFrame {
  readonly type: 'result';
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly timedOut: boolean;
  readonly spawnError: string | null;
  readonly stdoutB64: string;
  readonly stderrB64: string;
}

/**
 * Runs `command` in a fresh container of `image` through the launcher protocol (ready frame,
 * task frame on stdin, result frame), with the task security limits and the given labels.
 * The launcher is started explicitly, so the image's own CMD does not matter.
 */
export async function probeWithLauncher(
  image: string,
  command: readonly string[],
  labels: Readonly<Record<string, string>>,
  timeoutMs = 60_000,
): Promise<ProbeResult> {
  const started = Date.now();
  const frame = {
    taskId: `probe-${started.toString(36)}`,
    attempt: 1,
    command,
    env: {},
    payloadB64: '',
    codeTarB64: null,
    timeoutMs,
    stdoutCapBytes: 65536,
    stderrCapBytes: 65536,
    outputCapBytes: 0,
  };
  const labelArgs = Object.entries(labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]);
  const args = [
    'run',
    '-i',
    '--rm',
    ...TASK_SECURITY_FLAGS,
    ...labelArgs,
    '--entrypoint',
    '/usr/local/bin/berth-launcher',
    image,
  ];
  const res = await runProcess('docker', args, { input: `${JSON.stringify(frame)}\n`, tailLines: 5 });
  const frames = parseFrames(res.stdout);
  const ready = (frames[0] as { type?: string } | undefined)?.type === 'ready';
  const result =
    (frames.find((f) => (f as { type?: string }).type === 'result') as LauncherResultFrame | undefined) ??
    null;
  const durationMs = Date.now() - started;
  if (!result) {
    const why = res.tail.trim().split('\n').pop() || `docker run exit ${res.exitCode}`;
    return {
      ready,
      result: null,
      output: '',
      error: `no result frame from the launcher: ${why}`,
      durationMs,
    };
  }
  const output = decode(result.stdoutB64) + decode(result.stderrB64);
  return { ready, result, output, error: null, durationMs };
}

function parseFrames(stdout: string): unknown[] {
  const frames: unknown[] = [];
  for (const line of stdout.split('\n')) {
    if (line.trim() === '') continue;
    try {
      frames.push(JSON.parse(line));
    } catch {
      frames.push({ type: 'garbage', line });
    }
  }
  return frames;
}

function decode(b64: string): string {
  return Buffer.from(b64 ?? '', 'base64').toString('utf8');
}
