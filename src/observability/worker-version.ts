/**
 * The Berth version reported in `berth_worker_info` and as the tracer version: the `version` of
 * the nearest package.json named `berth` above this module (works from src/ and from dist/).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | null = null;

export function workerVersion(): string {
  if (cached !== null) return cached;
  cached = findVersion(dirname(fileURLToPath(import.meta.url))) ?? 'unknown';
  return cached;
}

function findVersion(start: string): string | null {
  let dir = start;
  for (let i = 0; i < 6; i += 1) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        name?: unknown;
        version?: unknown;
      };
      if (pkg.name === 'berth' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // No (readable) package.json here; keep walking up.
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return null;
}
