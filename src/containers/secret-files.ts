import type { SecretFile } from '../domain/executor-port.js';
import { InfraError } from '../domain/infra-error.js';
import { SECRETS_MOUNT_DIR } from '../secrets/secret-name.js';
import { TASK_GID, TASK_UID } from './container-spec.js';
import type { DockerEnginePort } from './docker-engine-port.js';

/** Writes one file from stdin, mode 0400, as the task user; the name is `$1`, never spliced in. */
const WRITE_SCRIPT = `umask 077 && cat > "${SECRETS_MOUNT_DIR}/$1" && chmod 0400 "${SECRETS_MOUNT_DIR}/$1"`;

/**
 * Writes a task's secret files into a started container's `/run/secrets` tmpfs (see
 * `container-spec.ts`), one engine exec per file (≈ 75–115 ms each) running as the task user,
 * the value passed on the exec's stdin — never in its command line, environment or a layer.
 * Needs `/bin/sh` and `cat` in the image (every Berth stack has them).
 *
 * Contract: resolves once every file is written; rejects with `InfraError` (component `docker`):
 * the engine's own failures as the engine adapter classifies them, a non-zero exit of the write
 * as not retriable. The caller removes the container on failure. Error texts name files, not values.
 */
export async function writeSecretFiles(
  engine: DockerEnginePort,
  containerId: string,
  files: readonly SecretFile[],
): Promise<void> {
  for (const file of files) {
    const r = await engine.exec(containerId, {
      command: ['/bin/sh', '-c', WRITE_SCRIPT, 'berth-secret', file.name],
      user: `${TASK_UID}:${TASK_GID}`,
      stdin: file.data,
    });
    if (r.exitCode !== 0)
      throw new InfraError(
        `secret file ${SECRETS_MOUNT_DIR}/${file.name} not written in container ${containerId.slice(0, 12)} (exit ${r.exitCode ?? 'unknown'})${r.output ? `: ${r.output.slice(-300)}` : ''}`,
        { retriable: false, component: 'docker' },
      );
  }
}
