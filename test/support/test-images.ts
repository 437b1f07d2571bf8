import { execFileSync } from 'node:child_process';

/** Removes every local image labelled `berth.test=1` (images built by stack tests). */
export function removeTestImages(): void {
  const ids = execFileSync('docker', ['images', '-q', '--filter', 'label=berth.test=1'])
    .toString()
    .trim()
    .split('\n')
    .filter(Boolean);
  if (ids.length > 0) execFileSync('docker', ['rmi', '-f', ...new Set(ids)], { stdio: 'ignore' });
}
