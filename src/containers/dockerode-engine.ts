import { type Duplex, PassThrough } from 'node:stream';
import Docker, { type ContainerCreateOptions } from 'dockerode';
import { AttachDemuxer } from './attach-demuxer.js';
import type {
  AttachedStreams,
  ContainerLimits,
  ContainerState,
  ContainerSummary,
  DockerEnginePort,
  ExecRequest,
  ExecResult,
} from './docker-engine-port.js';
import { isConflict, isNotFound, toDockerInfraError } from './docker-error.js';

export interface DockerodeEngineOptions {
  /** Unix socket of the engine. Default: from DOCKER_HOST (unix://…), else /var/run/docker.sock. */
  readonly socketPath?: string;
  /** Deadline of each control call (create, start, kill…); attach connections have none. */
  readonly requestTimeoutMs?: number;
}

/**
 * `DockerEnginePort` over the engine API with dockerode: the one place (with the stack image
 * builder) that talks to the engine. Every failure becomes an `InfraError` (see docker-error.ts).
 */
export class DockerodeEngine implements DockerEnginePort {
  private readonly control: Docker;
  /** A client without request timeout: attach connections stay open for the whole task. */
  private readonly streaming: Docker;

  constructor(options: DockerodeEngineOptions = {}) {
    const socketPath = options.socketPath ?? socketFromEnv();
    this.control = new Docker({ socketPath, timeout: options.requestTimeoutMs ?? 30_000 });
    this.streaming = new Docker({ socketPath });
  }

  async create(options: ContainerCreateOptions): Promise<string> {
    try {
      const container = await this.control.createContainer(options);
      return container.id;
    } catch (err) {
      throw toDockerInfraError(err, 'create');
    }
  }

  async attach(id: string): Promise<AttachedStreams> {
    let socket: Duplex;
    try {
      // With hijack the engine upgrades the HTTP connection; dockerode hands over the raw socket.
      socket = (await this.streaming.getContainer(id).attach({
        stream: true,
        stdin: true,
        stdout: true,
        stderr: true,
        hijack: true,
      })) as unknown as Duplex;
    } catch (err) {
      throw toDockerInfraError(err, 'attach');
    }
    return demultiplex(socket);
  }

  async start(id: string): Promise<void> {
    try {
      await this.control.getContainer(id).start();
    } catch (err) {
      throw toDockerInfraError(err, 'start');
    }
  }

  async updateLimits(id: string, limits: ContainerLimits): Promise<void> {
    try {
      await this.control.getContainer(id).update({
        Memory: limits.memoryBytes,
        MemorySwap: limits.memoryBytes,
        NanoCpus: limits.nanoCpus,
        PidsLimit: limits.pidsLimit,
      });
    } catch (err) {
      throw toDockerInfraError(err, 'update');
    }
  }

  async kill(id: string, signal: 'SIGKILL' | 'SIGUSR1' = 'SIGKILL'): Promise<void> {
    try {
      await this.control.getContainer(id).kill({ signal });
    } catch (err) {
      if (isNotFound(err) || isConflict(err)) return;
      throw toDockerInfraError(err, 'kill');
    }
  }

  async remove(id: string): Promise<void> {
    try {
      await this.control.getContainer(id).remove({ force: true, v: true });
    } catch (err) {
      // 409: a removal of this container is already in progress.
      if (isNotFound(err) || isConflict(err)) return;
      throw toDockerInfraError(err, 'remove');
    }
  }

  async inspect(id: string): Promise<ContainerState | null> {
    try {
      const info = await this.control.getContainer(id).inspect();
      return {
        running: info.State.Running,
        oomKilled: info.State.OOMKilled,
        exitCode: info.State.Running ? null : info.State.ExitCode,
      };
    } catch (err) {
      if (isNotFound(err)) return null;
      throw toDockerInfraError(err, 'inspect');
    }
  }

  async exec(id: string, request: ExecRequest): Promise<ExecResult> {
    try {
      const exec = await this.control.getContainer(id).exec({
        Cmd: [...request.command],
        User: request.user,
        AttachStdin: true,
        AttachStdout: true,
        AttachStderr: true,
        Tty: false,
      });
      // Hijacked: stdin is written and half-closed, output read (multiplexed) until the end.
      const socket = (await exec.start({ hijack: true, stdin: true })) as unknown as Duplex;
      const output: Buffer[] = [];
      let kept = 0;
      const ended = new Promise<void>((resolve, reject) => {
        socket.on('data', (chunk: Buffer) => {
          if (kept < 4096) output.push(chunk);
          kept += chunk.byteLength;
        });
        socket.on('end', resolve);
        socket.on('close', resolve);
        socket.on('error', reject);
      });
      socket.end(Buffer.from(request.stdin.buffer, request.stdin.byteOffset, request.stdin.byteLength));
      await ended;
      const info = await exec.inspect();
      return { exitCode: info.ExitCode ?? null, output: printable(Buffer.concat(output)) };
    } catch (err) {
      throw toDockerInfraError(err, 'exec');
    }
  }

  async listByLabels(labels: Readonly<Record<string, string>>): Promise<readonly ContainerSummary[]> {
    const label = Object.entries(labels).map(([k, v]) => `${k}=${v}`);
    try {
      const list = await this.control.listContainers({ all: true, filters: { label } });
      return list.map((c) => ({
        id: c.Id,
        labels: c.Labels ?? {},
        createdMs: c.Created * 1000,
        state: c.State,
      }));
    } catch (err) {
      throw toDockerInfraError(err, 'list');
    }
  }
}

/** Splits the engine's multiplexed attach stream (Tty false) into stdout and stderr. */
function demultiplex(socket: Duplex): AttachedStreams {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const demuxer = new AttachDemuxer(stdout, stderr);
  socket.on('data', (chunk: Buffer) => demuxer.push(chunk));
  let closed = false;
  const finish = () => {
    if (closed) return;
    closed = true;
    stdout.end();
    stderr.end();
  };
  socket.on('end', finish);
  socket.on('close', finish);
  socket.on('error', finish);
  return {
    stdin: socket,
    stdout,
    stderr,
    close() {
      finish();
      socket.destroy();
    },
  };
}

/** Output of a multiplexed stream as text, frame headers and control bytes dropped. */
function printable(raw: Buffer): string {
  const parts: Buffer[] = [];
  for (let at = 0; at + 8 <= raw.byteLength; ) {
    const size = raw.readUInt32BE(at + 4);
    parts.push(raw.subarray(at + 8, at + 8 + size));
    at += 8 + size;
  }
  return Buffer.concat(parts)
    .toString('utf8')
    .replace(/[^\x20-\x7e\n]/g, '')
    .trim();
}

function socketFromEnv(): string {
  const host = process.env.DOCKER_HOST;
  if (host?.startsWith('unix://')) return host.slice('unix://'.length);
  return '/var/run/docker.sock';
}
