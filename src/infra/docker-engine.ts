import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { InfraConfig } from '../config/infra-config.js';
import { type EngineInfo, probeEngine } from '../containers/engine-probe.js';
import { InfraError } from '../domain/infra-error.js';
import { sleep } from '../resilience/retry.js';
import { ensureAptPackages } from './apt-package.js';
import { logTail, type ManagedProcess, runningPid, startDetached, stopManaged } from './managed-process.js';

export function dockerdProcess(config: InfraConfig): ManagedProcess {
  return {
    name: 'dockerd',
    pidFile: join(config.stateDir, 'dockerd.pid'),
    logFile: join(config.stateDir, 'dockerd.log'),
  };
}

export type EngineState =
  | { readonly kind: 'managed'; readonly pid: number; readonly info: EngineInfo }
  | { readonly kind: 'external'; readonly info: EngineInfo }
  | { readonly kind: 'down' };

export async function engineState(config: InfraConfig): Promise<EngineState> {
  const info = await probeEngine(config.dockerSocket);
  const pid = await runningPid(dockerdProcess(config));
  if (info && pid !== null) return { kind: 'managed', pid, info };
  if (info) return { kind: 'external', info };
  return { kind: 'down' };
}

/**
 * Makes a Docker engine answer on the configured socket: an engine already answering is used as
 * is; otherwise Debian's docker.io is installed if needed and dockerd started with runc (crun
 * does not work on cgroup v1 hybrid hosts). Throws InfraError with the tail of dockerd's log.
 */
export async function ensureEngine(config: InfraConfig, log: (line: string) => void): Promise<EngineState> {
  const before = await engineState(config);
  if (before.kind !== 'down') {
    log(`docker: engine ${before.info.version} already answering (${before.kind})`);
    return before;
  }
  await ensureAptPackages('dockerd', ['docker.io'], log);
  const proc = dockerdProcess(config);
  await mkdir(config.stateDir, { recursive: true });
  const args = [
    '--host',
    `unix://${config.dockerSocket}`,
    '--default-runtime',
    'runc',
    '--pidfile',
    join(config.stateDir, 'dockerd.engine.pid'),
    ...config.dockerdArgs,
  ];
  const started = Date.now();
  const { pid } = await startDetached(proc, 'dockerd', args);
  log(`docker: started dockerd (pid ${pid}), waiting for it to answer`);
  while (Date.now() - started < config.startTimeoutMs) {
    const state = await engineState(config);
    if (state.kind !== 'down') {
      log(`docker: engine ${state.info.version} ready in ${Date.now() - started} ms`);
      return state;
    }
    if ((await runningPid(proc)) === null) break;
    await sleep(300);
  }
  const tail = await logTail(proc.logFile);
  await stopManaged(proc, 5000);
  throw new InfraError(`dockerd did not come up; last lines of ${proc.logFile}:\n${tail}`, {
    retriable: false,
    component: 'docker',
  });
}

/** Stops dockerd only if `berth infra up` started it. */
export async function stopEngine(config: InfraConfig): Promise<boolean> {
  return stopManaged(dockerdProcess(config), 20_000);
}
