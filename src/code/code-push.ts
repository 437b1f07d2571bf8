import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { codePackageCodec } from '../codecs/code-package-codec.js';
import type { CodePackage } from '../domain/code-package.js';
import { type CodeTopicPort, codeRecordKey, newestByName } from './code-ports.js';
import { sha256Digest } from './content-digest.js';
import { type ManifestContext, parseManifest } from './package-manifest.js';
import { packDirectory } from './package-tar.js';

/** Bytes a record needs besides key and value (batch and record headers), conservatively. */
const RECORD_OVERHEAD_BYTES = 128;

export type PushOutcome =
  | { readonly kind: 'published'; readonly pkg: CodePackage; readonly bytes: number }
  | { readonly kind: 'unchanged'; readonly pkg: CodePackage };

/** A push that cannot go ahead: bad directory or manifest, or a package too big for the topic. */
export class PushError extends Error {
  constructor(
    message: string,
    readonly details: readonly string[] = [],
  ) {
    super(message);
    this.name = 'PushError';
  }
}

export interface PushOptions {
  readonly dir: string;
  readonly topic: CodeTopicPort;
  readonly runTemplate: ManifestContext['runTemplate'];
  readonly nowMs?: number;
  readonly progress?: (line: string) => void;
}

/**
 * Packs `dir` (which must hold a valid berth.json) and publishes it as the next revision of its
 * package, unless the newest revision already has the same digest. Throws `PushError` for problems
 * of the package itself and `InfraError` for Kafka failures.
 */
export async function pushCodePackage(opts: PushOptions): Promise<PushOutcome> {
  const dir = resolve(opts.dir);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new PushError(`${opts.dir} is not a directory`);
  const manifestPath = join(dir, 'berth.json');
  if (!existsSync(manifestPath)) throw new PushError(`${opts.dir} has no berth.json`);
  const parsed = await parseManifest(await readFile(manifestPath, 'utf8'), {
    runTemplate: opts.runTemplate,
    fileExists: (p) => existsSync(join(dir, p)) && statSync(join(dir, p)).isFile(),
  });
  if (!parsed.ok) throw new PushError(`berth.json: ${parsed.errors.join('; ')}`, parsed.errors);
  const { tar, files } = await packDirectory(dir).catch((err: Error) => {
    throw new PushError(`cannot pack ${opts.dir}: ${err.message}`);
  });
  const digest = sha256Digest(tar);
  opts.progress?.(`packed ${files.length} files, ${tar.length} bytes, ${digest}`);
  const latest = newestByName(await opts.topic.readAll()).get(parsed.manifest.name);
  if (latest?.digest === digest) return { kind: 'unchanged', pkg: latest };
  const pkg: CodePackage = {
    name: parsed.manifest.name,
    revision: (latest?.revision ?? 0) + 1,
    digest,
    manifest: parsed.manifest,
    tarball: tar,
    createdAtMs: opts.nowMs ?? Date.now(),
  };
  const bytes =
    codePackageCodec.encode(pkg).length + Buffer.byteLength(codeRecordKey(pkg.name, pkg.revision));
  const limit = await opts.topic.maxMessageBytes();
  if (bytes + RECORD_OVERHEAD_BYTES > limit) {
    throw new PushError(
      `package ${pkg.name} is ${bytes} bytes encoded, more than the code topic's max.message.bytes of ${limit} bytes (less ${RECORD_OVERHEAD_BYTES} bytes record overhead)`,
    );
  }
  await opts.topic.publish(pkg);
  return { kind: 'published', pkg, bytes };
}
