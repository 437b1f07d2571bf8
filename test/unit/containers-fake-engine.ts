import { PassThrough } from 'node:stream';
import type { ContainerCreateOptions } from 'dockerode';
import type {
  AttachedStreams,
  ContainerLimits,
  ContainerState,
  ContainerSummary,
  DockerEnginePort,
  ExecRequest,
  ExecResult,
} from '../../src/containers/docker-engine-port.js';
import { InfraError } from '../../src/domain/infra-error.js';

/** What a fake container's launcher does with the task frame it receives. */
export type FakeLauncher = (task: Record<string, unknown>, c: FakeContainer) => void;

export class FakeContainer {
  readonly stdin = new PassThrough();
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  running = false;
  removed = false;
  oomKilled = false;
  attached = false;
  limits: ContainerLimits;
  tasks: Record<string, unknown>[] = [];
  /** Commands run with `exec`, with the stdin each was fed. */
  execs: { command: readonly string[]; user: string; stdin: string }[] = [];

  constructor(
    readonly id: string,
    readonly spec: ContainerCreateOptions,
    private readonly launcher: FakeLauncher,
  ) {
    const h = spec.HostConfig ?? {};
    this.limits = { memoryBytes: h.Memory ?? 0, nanoCpus: h.NanoCpus ?? 0, pidsLimit: h.PidsLimit ?? 0 };
    let buffered = '';
    this.stdin.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      for (let nl = buffered.indexOf('\n'); nl !== -1; nl = buffered.indexOf('\n')) {
        const task = JSON.parse(buffered.slice(0, nl)) as Record<string, unknown>;
        buffered = buffered.slice(nl + 1);
        this.tasks.push(task);
        this.launcher(task, this);
      }
    });
  }

  frame(frame: Record<string, unknown>): void {
    if (this.running) this.stdout.write(`${JSON.stringify(frame)}\n`);
  }

  exit(opts: { oomKilled?: boolean } = {}): void {
    if (!this.running) return;
    this.running = false;
    this.oomKilled = opts.oomKilled ?? this.oomKilled;
    this.stdout.end();
    this.stderr.end();
  }
}

export interface FakeEngineOptions {
  launcher?: FakeLauncher;
  /** Fails the next N creates with this error. */
  failCreates?: { count: number; error: InfraError };
  /** Delay of each start, to hold containers in the "starting" state. */
  startDelayMs?: number;
  /** The launcher does not print ready on start. */
  silentOnStart?: boolean;
  /** Exit code of every `exec` (default 0). */
  execExitCode?: number;
}

/** In-memory Docker engine: containers are stream pairs driven by a scripted launcher. */
export class FakeEngine implements DockerEnginePort {
  readonly containers = new Map<string, FakeContainer>();
  readonly calls: string[] = [];
  private next = 0;

  constructor(readonly options: FakeEngineOptions = {}) {}

  live(): FakeContainer[] {
    return [...this.containers.values()].filter((c) => !c.removed);
  }

  async create(spec: ContainerCreateOptions): Promise<string> {
    this.calls.push('create');
    const fail = this.options.failCreates;
    if (fail !== undefined && fail.count > 0) {
      fail.count--;
      throw fail.error;
    }
    const id = `c${++this.next}`.padEnd(16, '0');
    this.containers.set(id, new FakeContainer(id, spec, this.options.launcher ?? succeed()));
    return id;
  }

  async attach(id: string): Promise<AttachedStreams> {
    const c = this.get(id);
    c.attached = true;
    return { stdin: c.stdin, stdout: c.stdout, stderr: c.stderr, close: () => {} };
  }

  async start(id: string): Promise<void> {
    this.calls.push('start');
    if (this.options.startDelayMs) await new Promise((r) => setTimeout(r, this.options.startDelayMs));
    const c = this.get(id);
    c.running = true;
    if (!this.options.silentOnStart) c.frame({ type: 'ready' });
  }

  async updateLimits(id: string, limits: ContainerLimits): Promise<void> {
    this.calls.push('update');
    this.get(id).limits = limits;
  }

  async kill(id: string): Promise<void> {
    this.calls.push('kill');
    this.containers.get(id)?.exit();
  }

  async remove(id: string): Promise<void> {
    this.calls.push('remove');
    const c = this.containers.get(id);
    if (c === undefined) return;
    c.exit();
    c.removed = true;
  }

  async inspect(id: string): Promise<ContainerState | null> {
    const c = this.containers.get(id);
    if (c === undefined || c.removed) return null;
    return { running: c.running, oomKilled: c.oomKilled, exitCode: c.running ? null : 0 };
  }

  async exec(id: string, request: ExecRequest): Promise<ExecResult> {
    this.calls.push('exec');
    const c = this.get(id);
    c.execs.push({
      command: request.command,
      user: request.user,
      stdin: Buffer.from(request.stdin).toString(),
    });
    return { exitCode: this.options.execExitCode ?? 0, output: '' };
  }

  async listByLabels(labels: Readonly<Record<string, string>>): Promise<readonly ContainerSummary[]> {
    return this.live()
      .filter((c) => Object.entries(labels).every(([k, v]) => c.spec.Labels?.[k] === v))
      .map((c) => ({ id: c.id, labels: c.spec.Labels ?? {}, createdMs: Date.now(), state: 'running' }));
  }

  private get(id: string): FakeContainer {
    const c = this.containers.get(id);
    if (c === undefined || c.removed) {
      throw new InfraError(`no such container ${id}`, { retriable: false, component: 'docker' });
    }
    return c;
  }
}

/** A result frame with defaults, as the real launcher writes it. */
export function resultFrame(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'result',
    exitCode: 0,
    signal: null,
    timedOut: false,
    oomKilled: false,
    spawnError: null,
    stdoutB64: '',
    stderrB64: '',
    stdoutTruncated: false,
    stderrTruncated: false,
    stdoutBytes: 0,
    stderrBytes: 0,
    outputs: [],
    outputsTruncated: false,
    startedAtMs: 1000,
    finishedAtMs: 2000,
    ...over,
  };
}

/** Launcher that echoes the payload on stdout and exits 0. */
export function succeed(over: Record<string, unknown> = {}): FakeLauncher {
  return (task, c) => {
    c.frame({ type: 'started', atMs: 1000 });
    c.frame(resultFrame({ stdoutB64: task.payloadB64, ...over }));
    c.exit();
  };
}
