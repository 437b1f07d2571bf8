import type { Readable, Writable } from 'node:stream';
import type { ContainerCreateOptions } from 'dockerode';

/** Resource limits that can be changed on a created container (cgroup update). */
export interface ContainerLimits {
  readonly memoryBytes: number;
  /** Docker NanoCpus: 1e9 = one CPU. */
  readonly nanoCpus: number;
  readonly pidsLimit: number;
}

/** The attach connection of one container: stdin to write, demultiplexed stdout and stderr. */
export interface AttachedStreams {
  readonly stdin: Writable;
  /** Ends when the container's output ends (the process exited or the connection dropped). */
  readonly stdout: Readable;
  readonly stderr: Readable;
  /** Drops the attach connection; idempotent. */
  close(): void;
}

export interface ContainerSummary {
  readonly id: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Engine creation time, epoch ms (second resolution). */
  readonly createdMs: number;
  /** Engine state word: created, running, exited, dead… */
  readonly state: string;
}

export interface ContainerState {
  readonly running: boolean;
  readonly oomKilled: boolean;
  readonly exitCode: number | null;
}

/** A command run inside a running container, fed `stdin` (then end of input). */
export interface ExecRequest {
  readonly command: readonly string[];
  /** `uid:gid` the command runs as. */
  readonly user: string;
  readonly stdin: Uint8Array;
}

export interface ExecResult {
  readonly exitCode: number | null;
  /** What the command wrote on stdout and stderr, at most a few KiB, for diagnostics. */
  readonly output: string;
}

/**
 * The small slice of the Docker engine the executor, pool and reaper need. The production
 * implementation is `DockerodeEngine`; unit tests use an in-memory fake.
 *
 * Contract: every method rejects only with `InfraError` (component `docker`). `kill` and `remove`
 * succeed when the container is already stopped or gone; `inspect` resolves null for a container
 * that does not exist.
 */
export interface DockerEnginePort {
  create(options: ContainerCreateOptions): Promise<string>;
  /** Attach stdin/stdout/stderr; call before `start` so no output is missed. */
  attach(id: string): Promise<AttachedStreams>;
  start(id: string): Promise<void>;
  updateLimits(id: string, limits: ContainerLimits): Promise<void>;
  /**
   * SIGKILL the container's processes; with `signal` 'SIGUSR1', only signal its PID 1 (the
   * launcher cancels its running task on it, docs/launcher-protocol.md "Cancel").
   */
  kill(id: string, signal?: 'SIGKILL' | 'SIGUSR1'): Promise<void>;
  /** Force-remove the container (and its anonymous volumes). */
  remove(id: string): Promise<void>;
  inspect(id: string): Promise<ContainerState | null>;
  /** Runs a command in a running container and waits for it to end. */
  exec(id: string, request: ExecRequest): Promise<ExecResult>;
  /** Containers (running or not) that carry every `key=value` label given. */
  listByLabels(labels: Readonly<Record<string, string>>): Promise<readonly ContainerSummary[]>;
}
