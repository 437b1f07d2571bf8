import type { ContainerCreateOptions } from 'dockerode';
import { SECRETS_MOUNT_DIR } from '../secrets/secret-name.js';
import { CALL_SOCKET_MOUNT_DIR, type CallSocketMount } from './call-socket-server.js';
import type { ContainerLimits } from './docker-engine-port.js';

/** uid and gid every task runs as; stack images carry a `berth` user with these ids. */
export const TASK_UID = 10001;
export const TASK_GID = 10001;
export const LAUNCHER_PATH = '/usr/local/bin/berth-launcher';

/** Labels every task container carries; the reaper finds containers by them. */
export const LABEL_ROLE = 'berth.role';
export const LABEL_WORKER = 'berth.worker';
export const LABEL_STACK = 'berth.stack';
export const LABEL_CREATED_MS = 'berth.created-ms';
/**
 * The installation (Kafka cluster + topic prefix) a container belongs to; the reaper lists and
 * removes only containers of its own installation. See `domain/installation.ts`.
 */
export const LABEL_INSTALLATION = 'berth.installation';
export const ROLE_TASK = 'task';
/** Size of the tmpfs at /run/secrets (secret files, at most 64 KiB each); only used pages count. */
export const SECRETS_TMPFS_BYTES = 4 * 1024 * 1024;

export interface TaskContainerInput {
  /** Pinned image id (sha256:…): the container runs exactly this image. */
  readonly imageId: string;
  readonly stack: string;
  readonly workerId: string;
  /**
   * Value of `berth.installation`. A worker always sets it; absent (standalone executors in tests
   * and benchmarks) the container has no installation label and no worker's reaper ever removes it.
   */
  readonly installationId?: string;
  readonly limits: ContainerLimits;
  /** true: default bridge network; false: no network interface but loopback. */
  readonly network: boolean;
  /** Size of the tmpfs at /task (payload, code, outputs); counts against the memory limit. */
  readonly taskTmpfsBytes: number;
  /** Size of the tmpfs at /tmp (also HOME); counts against the memory limit. */
  readonly tmpTmpfsBytes: number;
  /** Added to the Berth labels (e.g. `berth.test=1`); cannot override them. */
  readonly extraLabels: Readonly<Record<string, string>>;
  readonly nowMs: number;
  /** The worker's call socket directory, mounted read-only at /run/berth-call (function mode). */
  readonly callSocketMount?: CallSocketMount;
}

/**
 * The create options of a task container, with the security defaults in one place:
 *
 * - runs as 10001:10001, never root; `no-new-privileges` so setuid binaries cannot regain it;
 * - every capability dropped; read-only root filesystem;
 * - tmpfs at /task (exec, scripts run from /task/code) and /tmp (exec too: runtimes such as the
 *   JVM and Python's ctypes map native code from /tmp), both nosuid,nodev, owned by 10001 and
 *   size-limited; tmpfs pages count against the memory limit;
 * - tmpfs at /run/secrets (noexec, mode 0700, owned by 10001): secret files of the package are
 *   written there (mode 0400) before the task starts, never to disk;
 * - no network unless asked (`NetworkMode: none` leaves only loopback);
 * - memory limit with MemorySwap equal (no swap), OOM killer enabled, OOM score raised so the
 *   host's own processes are never chosen first; CPU quota (NanoCpus); pids limit (fork bombs);
 *   nofile limit; private IPC namespace;
 * - no logging driver: output travels on the attach stream only, and is capped by the launcher,
 *   so a chatty task never fills the engine's disk;
 * - not auto-removed: the executor removes it explicitly (and the reaper if the worker died);
 * - stdin open once, no TTY (multiplexed stdout/stderr), as the launcher protocol requires;
 * - function containers only: the worker's call socket directory, read-only at /run/berth-call
 *   (a Unix socket to the worker; no network is involved).
 *
 * No init process: the launcher is PID 1 and reaps the task's process group itself.
 */
export function taskContainerSpec(input: TaskContainerInput): ContainerCreateOptions {
  const labels: Record<string, string> = {
    ...input.extraLabels,
    [LABEL_ROLE]: ROLE_TASK,
    [LABEL_WORKER]: input.workerId,
    [LABEL_STACK]: input.stack,
    [LABEL_CREATED_MS]: String(input.nowMs),
  };
  // Like the other Berth labels, never taken from the extra labels.
  if (input.installationId === undefined) delete labels[LABEL_INSTALLATION];
  else labels[LABEL_INSTALLATION] = input.installationId;
  return {
    Image: input.imageId,
    Entrypoint: [LAUNCHER_PATH],
    Cmd: [],
    User: `${TASK_UID}:${TASK_GID}`,
    WorkingDir: '/task',
    Labels: labels,
    OpenStdin: true,
    StdinOnce: true,
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
    NetworkDisabled: false,
    HostConfig: {
      NetworkMode: input.network ? 'bridge' : 'none',
      ReadonlyRootfs: true,
      Tmpfs: {
        '/task': tmpfsOptions(input.taskTmpfsBytes, '0755'),
        '/tmp': tmpfsOptions(input.tmpTmpfsBytes, '1777'),
        [SECRETS_MOUNT_DIR]: `rw,noexec,nosuid,nodev,size=${SECRETS_TMPFS_BYTES},uid=${TASK_UID},gid=${TASK_GID},mode=0700`,
      },
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      Memory: input.limits.memoryBytes,
      MemorySwap: input.limits.memoryBytes,
      NanoCpus: input.limits.nanoCpus,
      PidsLimit: input.limits.pidsLimit,
      OomKillDisable: false,
      OomScoreAdj: 500,
      IpcMode: 'private',
      Ulimits: [{ Name: 'nofile', Soft: 4096, Hard: 4096 }],
      LogConfig: { Type: 'none', Config: {} },
      AutoRemove: false,
      Init: false,
      Privileged: false,
      ...(input.callSocketMount === undefined
        ? {}
        : {
            Mounts: [
              {
                Type: input.callSocketMount.type,
                Source: input.callSocketMount.source,
                Target: CALL_SOCKET_MOUNT_DIR,
                ReadOnly: true,
              },
            ],
          }),
    },
  };
}

function tmpfsOptions(sizeBytes: number, mode: string): string {
  return `rw,exec,nosuid,nodev,size=${sizeBytes},uid=${TASK_UID},gid=${TASK_GID},mode=${mode}`;
}
