import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { InfraError } from '../domain/infra-error.js';

const run = promisify(execFile);

/** True when `command` is on PATH. */
export async function hasCommand(command: string): Promise<boolean> {
  return run('sh', ['-c', `command -v ${command}`]).then(
    () => true,
    () => false,
  );
}

/**
 * Installs Debian packages with apt-get when `probeCommand` is missing. Idempotent; needs root.
 * Throws InfraError (not retriable) with apt's last lines when the install fails.
 */
export async function ensureAptPackages(
  probeCommand: string,
  packages: readonly string[],
  log: (line: string) => void,
): Promise<void> {
  if (await hasCommand(probeCommand)) return;
  log(`installing ${packages.join(' ')} with apt-get (${probeCommand} is missing)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    await run('apt-get', ['install', '-y', '--no-install-recommends', ...packages], {
      env,
      maxBuffer: 64 << 20,
    });
  } catch {
    try {
      await run('apt-get', ['update'], { env, maxBuffer: 64 << 20 });
      await run('apt-get', ['install', '-y', '--no-install-recommends', ...packages], {
        env,
        maxBuffer: 64 << 20,
      });
    } catch (err) {
      const detail = String((err as { stderr?: string }).stderr ?? err)
        .trim()
        .split('\n')
        .slice(-3)
        .join(' | ');
      throw new InfraError(`apt-get install ${packages.join(' ')} failed: ${detail}`, {
        retriable: false,
        component: 'other',
      });
    }
  }
}
