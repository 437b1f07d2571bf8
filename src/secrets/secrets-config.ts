import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { secretNameProblem } from './secret-name.js';

/**
 * Where a worker takes the values of the secrets code packages declare: never from Kafka, only
 * from its own host. Parsed once at start and frozen; holds names and a path, never values.
 */
export interface SecretsConfig {
  /** Absolute directory with one file per secret (`<dir>/<NAME>`); null: none. */
  readonly dir: string | null;
  /** Variables of the worker's own environment that may be handed to tasks as secrets. */
  readonly fromEnv: readonly string[];
}

/** No secrets on this worker: every package that declares one is REJECTED with the reason. */
export const NO_SECRETS: SecretsConfig = Object.freeze({ dir: null, fromEnv: Object.freeze([]) });

/**
 * Validates the two settings: the directory must exist, be a directory and not be writable by
 * other users unless sticky (a Kubernetes secret volume is 1777 with read-only files); every
 * allow-listed name must be a valid secret name. Throws `Error` with a one-line message.
 */
export function parseSecretsConfig(dir: string | undefined, fromEnv: readonly string[]): SecretsConfig {
  let absolute: string | null = null;
  if (dir !== undefined && dir !== '') {
    absolute = resolve(dir);
    let mode: number;
    try {
      const st = statSync(absolute);
      if (!st.isDirectory()) throw new Error(`BERTH_SECRETS_DIR ${absolute} is not a directory`);
      mode = st.mode;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === undefined) throw err;
      throw new Error(`BERTH_SECRETS_DIR ${absolute} cannot be used: ${code}`);
    }
    if ((mode & 0o002) !== 0 && (mode & 0o1000) === 0)
      throw new Error(
        `BERTH_SECRETS_DIR ${absolute} is writable by every user (mode ${(mode & 0o7777).toString(8)}): anyone could plant a secret; chmod o-w it`,
      );
  }
  const names: string[] = [];
  for (const name of fromEnv) {
    const problem = secretNameProblem(name);
    if (problem !== null) throw new Error(`BERTH_SECRETS_FROM_ENV: ${problem}`);
    if (!names.includes(name)) names.push(name);
  }
  return Object.freeze({ dir: absolute, fromEnv: Object.freeze(names) });
}
