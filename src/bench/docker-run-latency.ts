import { spawn } from 'node:child_process';

/**
 * Milliseconds from launching `docker run --rm` to the task process starting inside it (the
 * process prints its own start time), the baseline a warm handover is compared with.
 */
export function dockerRunStartMs(image: string, labels: Readonly<Record<string, string>>): Promise<number> {
  const labelArgs = Object.entries(labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]);
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(
      'docker',
      ['run', '--rm', '--network', 'none', ...labelArgs, '--entrypoint', 'bash', image, '-c', 'date +%s%3N'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      const startedAt = Number(out.trim());
      if (code !== 0 || !Number.isFinite(startedAt)) reject(new Error(`docker run failed (exit ${code})`));
      else resolve(startedAt - t0);
    });
  });
}

/** Runs `docker run --rm` to completion (the naive loop's per-task cost). */
export function dockerRunToCompletion(
  image: string,
  labels: Readonly<Record<string, string>>,
  script: string,
): Promise<string> {
  const labelArgs = Object.entries(labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]);
  return new Promise((resolve, reject) => {
    const child = spawn(
      'docker',
      ['run', '--rm', '--network', 'none', ...labelArgs, '--entrypoint', 'bash', image, '-c', script],
      {
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`docker run exit ${code}`))));
  });
}
