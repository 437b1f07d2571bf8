import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { SecretLookup, SecretSourcePort } from './secret-source-port.js';

/** Largest secret value read from a file; a bigger file is refused (secrets are small). */
export const MAX_SECRET_BYTES = 64 * 1024;

interface Cached {
  readonly key: string;
  readonly value: Uint8Array;
}

/**
 * Secrets as files of one directory (`BERTH_SECRETS_DIR`), one file per name: `<dir>/<NAME>`,
 * the whole file is the value (symlinks are followed, as in a Kubernetes secret volume).
 * Each lookup stats the file and re-reads it only when its inode, size, mtime or ctime changed,
 * so a rotated secret is used by the next task without a restart. Refused: anything but a regular
 * file, a file writable by other users, a file larger than `MAX_SECRET_BYTES`, a file the worker
 * cannot read.
 */
export class DirSecretSource implements SecretSourcePort {
  private readonly cache = new Map<string, Cached>();

  constructor(private readonly dir: string) {}

  async lookup(name: string): Promise<SecretLookup> {
    const path = join(this.dir, name);
    try {
      const st = await stat(path);
      if (!st.isFile()) return { kind: 'unusable', reason: `${path} is not a regular file` };
      if ((st.mode & 0o002) !== 0)
        return {
          kind: 'unusable',
          reason: `${path} is writable by every user (mode ${(st.mode & 0o7777).toString(8)}); refusing it`,
        };
      if (st.size > MAX_SECRET_BYTES)
        return { kind: 'unusable', reason: `${path} is ${st.size} bytes, more than ${MAX_SECRET_BYTES}` };
      const key = `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
      const cached = this.cache.get(name);
      if (cached?.key === key) return { kind: 'found', value: cached.value };
      const value = new Uint8Array(await readFile(path));
      this.cache.set(name, { key, value });
      return { kind: 'found', value };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return { kind: 'absent', looked: `file ${path}` };
      return { kind: 'unusable', reason: `${path} cannot be read by the worker (${code ?? 'error'})` };
    }
  }
}
