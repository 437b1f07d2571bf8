import { readdir, readFile } from 'node:fs/promises';
import { parseCpuSeconds } from './process-cpu.js';

/** CPU seconds per live process at one moment, with its command name. */
export type CpuSnapshot = ReadonlyMap<number, { readonly comm: string; readonly cpuSeconds: number }>;

/** Every process's CPU time now (from /proc; empty on a system without it). */
export async function snapshotCpu(): Promise<CpuSnapshot> {
  const out = new Map<number, { comm: string; cpuSeconds: number }>();
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return out;
  }
  await Promise.all(
    entries
      .filter((e) => /^\d+$/.test(e))
      .map(async (e) => {
        try {
          const stat = await readFile(`/proc/${e}/stat`, 'utf8');
          const cpuSeconds = parseCpuSeconds(stat);
          const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
          if (cpuSeconds !== null) out.set(Number(e), { comm, cpuSeconds });
        } catch {
          // gone meanwhile
        }
      }),
  );
  return out;
}

/** Which part of the system a process is, for the breakdown. */
export interface ProcessRoles {
  readonly workerPid: number | null;
  readonly benchPid: number;
}

/**
 * The part a process plays: the worker, the bench itself, a process inside a container (by its
 * command: the launcher, the language runtime), the Docker engine's daemons, the Kafka broker, or
 * `other` (anything else running on the machine meanwhile).
 */
export async function roleOf(pid: number, comm: string, roles: ProcessRoles): Promise<string> {
  if (pid === roles.workerPid) return 'worker';
  if (pid === roles.benchPid) return 'bench (producer, result follower)';
  const cgroup = await readFile(`/proc/${pid}/cgroup`, 'utf8').catch(() => '');
  if (/\/docker[-/][0-9a-f]{64}/.test(cgroup)) return `in containers: ${comm}`;
  if (comm === 'dockerd') return 'dockerd';
  if (comm.startsWith('containerd')) return 'containerd and shims';
  if (comm === 'java') {
    const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmd.includes('kafka.Kafka')) return 'Kafka broker';
  }
  return 'other';
}

/**
 * CPU time per role between two snapshots, in µs per task (`tasks` answered in between), highest
 * first. A process that started in between counts from zero; one that ended is not counted.
 */
export async function cpuBreakdown(
  before: CpuSnapshot,
  after: CpuSnapshot,
  tasks: number,
  roles: ProcessRoles,
): Promise<{ readonly role: string; readonly microsPerTask: number }[]> {
  const byRole = new Map<string, number>();
  for (const [pid, now] of after) {
    const used = now.cpuSeconds - (before.get(pid)?.cpuSeconds ?? 0);
    if (used <= 0) continue;
    const role = await roleOf(pid, now.comm, roles);
    byRole.set(role, (byRole.get(role) ?? 0) + used);
  }
  return [...byRole]
    .map(([role, seconds]) => ({ role, microsPerTask: (seconds * 1e6) / Math.max(1, tasks) }))
    .sort((a, b) => b.microsPerTask - a.microsPerTask);
}
