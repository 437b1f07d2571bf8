import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { berthCli } from './worker-process.js';

/** The `name` of the package in `dir` (its berth.json); rejects when it has none. */
export async function packageName(dir: string): Promise<string> {
  const manifest = JSON.parse(await readFile(join(dir, 'berth.json'), 'utf8')) as { name?: unknown };
  if (typeof manifest.name !== 'string') throw new Error(`${dir}/berth.json has no name`);
  return manifest.name;
}

/**
 * Pushes the package in `dir` to the code topic of `prefix` with `berth code push` (as a user
 * does; `cli` is the CLI's main.js) and returns its name; rejects with the CLI's stderr when the push fails.
 */
export async function pushPackage(
  dir: string,
  prefix: string,
  brokers: readonly string[],
  cli = berthCli(),
): Promise<string> {
  const name = await packageName(dir);
  await new Promise<void>((res, rej) =>
    execFile(
      process.execPath,
      [cli, 'code', 'push', dir],
      { env: { ...process.env, BERTH_TOPIC_PREFIX: prefix, BERTH_KAFKA_BROKERS: brokers.join(',') } },
      (err, _stdout, stderr) => (err ? rej(new Error(`code push ${dir}: ${stderr.trim()}`)) : res()),
    ),
  );
  return name;
}
