/**
 * Names of secrets a code package declares (`berth.json` `secrets`) and a worker provides
 * (`BERTH_SECRETS_DIR/<NAME>`, `BERTH_SECRETS_FROM_ENV`). A name is usable as an environment
 * variable and as a file name: a letter or `_`, then letters, digits or `_`, at most 128.
 */
export const SECRET_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

/** Variables the launcher sets for every task; a secret may not shadow them. */
export const RESERVED_SECRET_NAMES: ReadonlySet<string> = new Set([
  'TASK_ID',
  'TASK_ATTEMPT',
  'TASK_DIR',
  'TASK_OUT',
  'PAYLOAD_FILE',
  'HOME',
  'PATH',
]);

/** Directory inside task containers where secrets declared `"as": "file"` appear (tmpfs). */
export const SECRETS_MOUNT_DIR = '/run/secrets';

/** Why `name` is not a valid secret name, or null when it is. */
export function secretNameProblem(name: unknown): string | null {
  if (typeof name !== 'string' || !SECRET_NAME_RE.test(name))
    return `${JSON.stringify(name)} is not a valid secret name (a letter or "_", then letters, digits or "_", at most 128)`;
  if (RESERVED_SECRET_NAMES.has(name)) return `"${name}" is reserved (set by the launcher for every task)`;
  return null;
}
