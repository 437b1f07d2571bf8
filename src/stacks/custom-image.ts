import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BuildStepError } from './docker-cli.js';
import type { ImageStore } from './image-store-port.js';
import { probeWithLauncher } from './launcher-probe.js';
import { runProcess } from './process-runner.js';
import { CURRENT_TAG, LABEL, stackImageRef } from './stack-labels.js';

export interface CustomImageRequest {
  readonly name: string;
  readonly image: string;
  readonly language: string;
  readonly version: string;
  readonly store: ImageStore;
  /** Optional smoke test: a command whose output must match `expect`. */
  readonly smoke?: { readonly command: readonly string[]; readonly expect: string };
  readonly extraLabels?: Readonly<Record<string, string>>;
}

export interface CustomImageOutcome {
  /** One line per broken contract point; empty when the image was accepted. */
  readonly problems: readonly string[];
  readonly imageId: string | null;
}

/**
 * `berth stacks add-image`: checks an existing local image against the container contract of
 * docs/launcher-protocol.md (uid 10001 in /etc/passwd; the launcher runs as 10001 under a
 * read-only root with the task limits and speaks the protocol), then builds a metadata-only
 * image on top (stack labels, `USER 10001:10001`, the launcher as command) tagged
 * `berth/stack-<name>:current`. Nothing is tagged when a check fails.
 */
export async function addCustomImage(req: CustomImageRequest): Promise<CustomImageOutcome> {
  if (!/^[a-z0-9][a-z0-9.-]*$/.test(req.name))
    return { problems: ['NAME must be lowercase letters, digits, "." or "-"'], imageId: null };
  const source = await req.store.inspect(req.image);
  if (!source) return { problems: [`no local image ${req.image} (images are never pulled)`], imageId: null };
  const labels = { [LABEL.role]: 'stack-verify', [LABEL.stackName]: req.name, ...req.extraLabels };
  const problems = [...(await checkUser(source.id, labels)), ...(await checkLauncher(source.id, labels))];
  if (req.smoke && problems.length === 0) problems.push(...(await checkSmoke(source.id, req.smoke, labels)));
  if (problems.length > 0) return { problems, imageId: null };
  try {
    await tagAsStack(req, source.id);
  } catch (err) {
    const tail = err instanceof BuildStepError ? ` (${err.logTail.trim().split('\n').pop()})` : '';
    return { problems: [`${(err as Error).message}${tail}`], imageId: null };
  }
  const tagged = await req.store.inspect(stackImageRef(req.name, CURRENT_TAG));
  return { problems: [], imageId: tagged?.id ?? null };
}

async function checkUser(imageId: string, labels: Record<string, string>): Promise<string[]> {
  const labelArgs = Object.entries(labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]);
  const created = await runProcess('docker', [
    'create',
    ...labelArgs,
    imageId,
    '/usr/local/bin/berth-launcher',
  ]);
  const cid = created.stdout.trim();
  if (created.exitCode !== 0 || !cid)
    return [`cannot create a container: ${created.tail.trim().split('\n').pop()}`];
  const dir = await mkdtemp(join(tmpdir(), 'berth-passwd-'));
  try {
    const copied = await runProcess('docker', ['cp', `${cid}:/etc/passwd`, join(dir, 'passwd')]);
    if (copied.exitCode !== 0)
      return ['/etc/passwd is missing: the image needs a user berth with uid/gid 10001'];
    const passwd = await readFile(join(dir, 'passwd'), 'utf8');
    const has = passwd.split('\n').some((l) => {
      const f = l.split(':');
      return f[2] === '10001' && f[3] === '10001';
    });
    return has
      ? []
      : ['no user with uid/gid 10001 in /etc/passwd (the contract needs user berth 10001:10001)'];
  } finally {
    await runProcess('docker', ['rm', '-f', cid]);
    await rm(dir, { recursive: true, force: true });
  }
}

/** Runs the launcher as the task of the launcher: proves it starts, answers ready, runs as 10001 read-only. */
async function checkLauncher(imageId: string, labels: Record<string, string>): Promise<string[]> {
  const probe = await probeWithLauncher(imageId, ['berth-launcher'], labels, 20_000);
  if (probe.error)
    return [`/usr/local/bin/berth-launcher does not answer under the task limits: ${probe.error}`];
  if (!probe.ready) return ['the launcher did not write {"type":"ready"} first'];
  const r = probe.result;
  if (r?.spawnError) return [`berth-launcher is not on PATH for the task: ${r.spawnError}`];
  if (r?.exitCode !== 0 || !probe.output.includes('{"type":"ready"}')) {
    return [
      `the launcher misbehaved as a task (exit ${r?.exitCode ?? r?.signal}): ${probe.output.slice(0, 120)}`,
    ];
  }
  return [];
}

async function checkSmoke(
  imageId: string,
  smoke: NonNullable<CustomImageRequest['smoke']>,
  labels: Record<string, string>,
) {
  const probe = await probeWithLauncher(imageId, smoke.command, labels);
  if (probe.error || !probe.result) return [`smoke test did not run: ${probe.error}`];
  if (probe.result.exitCode !== 0)
    return [`smoke test exited ${probe.result.exitCode ?? probe.result.signal}`];
  return new RegExp(smoke.expect, 'm').test(probe.output)
    ? []
    : [`smoke output does not match /${smoke.expect}/: ${probe.output.trim().slice(0, 120)}`];
}

async function tagAsStack(req: CustomImageRequest, sourceId: string): Promise<void> {
  const hash = sourceId.replace(/^sha256:/, '');
  const labels: Record<string, string> = {
    [LABEL.role]: 'stack',
    [LABEL.stackName]: req.name,
    [LABEL.stackLanguage]: req.language,
    [LABEL.stackVersion]: req.version,
    [LABEL.stackHash]: hash,
    [LABEL.stackBase]: 'custom',
    ...req.extraLabels,
  };
  const dockerfile = `FROM ${sourceId}\nUSER 10001:10001\nENTRYPOINT []\nCMD ["/usr/local/bin/berth-launcher"]\n`;
  const args = [
    'build',
    '--force-rm',
    '--network',
    'none',
    ...Object.entries(labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]),
  ];
  args.push(
    '-t',
    stackImageRef(req.name, hash.slice(0, 12)),
    '-t',
    stackImageRef(req.name, CURRENT_TAG),
    '-',
  );
  const res = await runProcess('docker', args, { input: dockerfile });
  if (res.exitCode !== 0)
    throw new BuildStepError(`docker build of the stack image failed (exit ${res.exitCode})`, res.tail);
}
