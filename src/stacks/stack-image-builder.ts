import type { ImageBuildOutcome } from './base-builder.js';
import { BuildStepError, dockerTag } from './docker-cli.js';
import type { ImageStore } from './image-store-port.js';
import { type ProcessOutcome, runProcess } from './process-runner.js';
import { stackBuildContext } from './stack-build-context.js';
import { CURRENT_TAG, LABEL, stackImageRef } from './stack-labels.js';
import type { StackDir } from './stacks-root.js';

/** The pinned base a stack is built on. */
export interface BaseRef {
  /** Tag pinned by content hash, e.g. `berth/base-bookworm:0123456789ab`. */
  readonly ref: string;
  readonly imageId: string;
}

/**
 * Builds one stack image with `docker build --network host` FROM the pinned base (build arg
 * BASE_IMAGE), labelled with the stack's name, language, version, content hash, base and function
 * runtime (when it has one), tagged `berth/stack-<name>:<hash>` and `:current`. The build context
 * is the stack's directory, plus its runtime under `berth-runtime/` (see stackBuildContext). Skips
 * the build when an image with that hash tag and label exists (then only `:current` is moved). A
 * failure is an outcome, never a throw.
 */
export async function buildStackImage(
  stack: StackDir,
  base: BaseRef,
  hash: string,
  store: ImageStore,
  extraLabels: Readonly<Record<string, string>> = {},
): Promise<ImageBuildOutcome> {
  const m = stack.manifest;
  const started = Date.now();
  const hashTag = stackImageRef(m.name, hash.slice(0, 12));
  const outcome = (status: ImageBuildOutcome['status'], imageId: string | null, extra: object = {}) => ({
    name: m.name,
    status,
    imageId,
    hash,
    durationMs: Date.now() - started,
    ...extra,
  });
  try {
    const existing = await store.inspect(hashTag);
    if (existing && existing.labels[LABEL.stackHash] === hash) {
      await dockerTag(existing.id, stackImageRef(m.name, CURRENT_TAG));
      return outcome('cached', existing.id);
    }
    const labels: Record<string, string> = {
      [LABEL.role]: 'stack',
      [LABEL.stackName]: m.name,
      [LABEL.stackLanguage]: m.language,
      [LABEL.stackVersion]: m.version,
      [LABEL.stackHash]: hash,
      [LABEL.stackBase]: m.base,
      [LABEL.stackBaseRef]: base.ref,
      ...(m.runtime ? { [LABEL.stackRuntime]: m.runtime } : {}),
      ...extraLabels,
    };
    // --force-rm: a failed step's container is removed too (docker build keeps it otherwise).
    const args = ['build', '--force-rm', '--network', 'host', '--build-arg', `BASE_IMAGE=${base.ref}`];
    for (const [k, v] of Object.entries(labels)) args.push('--label', `${k}=${v}`);
    const context = await stackBuildContext(stack);
    let res: ProcessOutcome;
    try {
      args.push('-t', hashTag, '-t', stackImageRef(m.name, CURRENT_TAG), context.dir);
      res = await runProcess('docker', args, { tailLines: 25 });
    } finally {
      await context.dispose();
    }
    if (res.exitCode !== 0) throw new BuildStepError(`docker build failed (exit ${res.exitCode})`, res.tail);
    const built = await store.inspect(hashTag);
    return outcome('built', built?.id ?? null);
  } catch (err) {
    const logTail = err instanceof BuildStepError ? err.logTail : '';
    return outcome('failed', null, { error: (err as Error).message, logTail });
  }
}
