import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * Where Berth keeps things on the host between runs, read once from the environment and frozen.
 * Two roots: BERTH_STATE_DIR (what runs: pid files, logs, broker data, the Python venv) and
 * BERTH_CACHE_DIR (what was downloaded or compiled and can be fetched again). Deleting both starts
 * from scratch; every directory is created by whoever writes to it first, nothing assumes it
 * exists. Absolute paths; the defaults use the user's home directory from the password database,
 * so they work even with HOME unset.
 */
export interface HostDirs {
  /** BERTH_STATE_DIR, default ~/.berth. */
  readonly stateDir: string;
  /** BERTH_CACHE_DIR, default ~/.cache/berth. */
  readonly cacheDir: string;
  /** Maven's local repository for the Kafka jars: `<cacheDir>/maven` (not ~/.m2). */
  readonly mavenRepoDir: string;
  /**
   * debootstrap's package cache for the stack bases: `<cacheDir>/debootstrap` when
   * BERTH_CACHE_DIR is set, else /var/cache/berth-debootstrap (bases are built as root).
   */
  readonly debootstrapCacheDir: string;
  /** GOCACHE for the launcher build: the caller's GOCACHE, else `<cacheDir>/go-build`. */
  readonly goBuildCacheDir: string;
  /** GOPATH (module cache below it) for the launcher build: the caller's GOPATH as is, else `<cacheDir>/go`. */
  readonly goPath: string;
}

/** The system-wide debootstrap cache used when BERTH_CACHE_DIR is not set. */
export const DEFAULT_DEBOOTSTRAP_CACHE_DIR = '/var/cache/berth-debootstrap';

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

export function loadHostDirs(env: NodeJS.ProcessEnv = process.env): HostDirs {
  const home = homedir();
  const stateDir = resolve(nonEmpty(env.BERTH_STATE_DIR) ?? join(home, '.berth'));
  const explicitCache = nonEmpty(env.BERTH_CACHE_DIR);
  const cacheDir = resolve(explicitCache ?? join(home, '.cache', 'berth'));
  return Object.freeze({
    stateDir,
    cacheDir,
    mavenRepoDir: join(cacheDir, 'maven'),
    debootstrapCacheDir: explicitCache ? join(cacheDir, 'debootstrap') : DEFAULT_DEBOOTSTRAP_CACHE_DIR,
    goBuildCacheDir: resolve(nonEmpty(env.GOCACHE) ?? join(cacheDir, 'go-build')),
    goPath: nonEmpty(env.GOPATH) ?? join(cacheDir, 'go'),
  });
}
