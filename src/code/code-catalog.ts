import { codePackageCodec } from '../codecs/code-package-codec.js';
import { DecodeError } from '../codecs/codec.js';
import type { CodeManifest, CodePackage } from '../domain/code-package.js';
import type { CodeResolution, CodeResolverPort } from '../domain/code-resolver-port.js';
import type { CodeFeedPort, CodeRecord } from './code-ports.js';
import { matchesDigest } from './content-digest.js';
import { TarballCache } from './tarball-cache.js';

/**
 * A task that names no revision runs the newest revision pushed at least this long before the
 * task was created (a push closer to it may or may not be seen); pin `revision` to be exact.
 */
export const PUSH_VISIBILITY_MS = 1000;
/** While tasks resolve, the catalog re-reads the code topic's end at least this often. */
const REFRESH_MS = 250;
/** Resolved packages kept for reuse (each holds its tarball in memory). */
const RESOLVED_MAX = 64;

/** The highest revision number of a package (`revisions` is not empty). */
function newest(revisions: ReadonlyMap<number, unknown>): number {
  let max = Number.NEGATIVE_INFINITY;
  for (const r of revisions.keys()) if (r > max) max = r;
  return max;
}

/** A package revision the catalog has seen; the tarball lives in the cache. */
export interface CatalogEntry {
  readonly name: string;
  readonly revision: number;
  readonly digest: string;
  readonly manifest: CodeManifest;
  readonly createdAtMs: number;
  /** Why this revision must never run (digest mismatch), or null. */
  readonly corrupt: string | null;
}

export type Resolution = CodeResolution;

export interface CodeCatalogOptions {
  readonly feed: CodeFeedPort;
  /** Directory for tarballs by digest, e.g. `$BERTH_STATE_DIR/code-cache`. */
  readonly cacheDir: string;
  /** How long a resolve waits to catch up with the topic before answering from what it has. */
  readonly catchUpTimeoutMs?: number;
  readonly log?: (line: string) => void;
}

/**
 * The worker's view of the code topic: follows it from the beginning, stores tarballs by digest,
 * and resolves package references. Contract (`CodeResolverPort`): `resolve(name, null)` first
 * catches up with the topic (so a task submitted right after a push sees the pushed revision) —
 * unless, given the task's creation time `asOfMs`, a catch-up that began no more than
 * `PUSH_VISIBILITY_MS` before it has completed (kept fresh in the background while tasks flow,
 * so neither a backlog nor a live stream pays a round trip per task); `resolve(name, rev)`
 * catches up only when the revision is not known yet; a returned package's
 * tarball matched its digest; corrupt or unknown revisions resolve to null, never to other bytes.
 */
export class CodeCatalog implements CodeResolverPort {
  private readonly entries = new Map<string, Map<number, CatalogEntry>>();
  private readonly cache: TarballCache;
  private current: Promise<void> | null = null;
  private queued: Promise<void> | null = null;
  private undecodable = 0;
  /** When the last catch-up that completed began (epoch ms): every push before it is known. */
  private caughtUpAsOfMs = 0;
  /**
   * Packages already resolved, by catalog entry (an entry is replaced, never changed, when its
   * revision is ingested again): a task of a known revision costs two map lookups, not a copy.
   * Bounded: cleared when it holds more than `RESOLVED_MAX` packages.
   */
  private readonly resolved = new Map<CatalogEntry, CodePackage>();

  constructor(private readonly opts: CodeCatalogOptions) {
    this.cache = new TarballCache(opts.cacheDir);
  }

  /** Starts following and waits until the topic's current content is loaded. */
  async start(): Promise<void> {
    await this.opts.feed.start((r) => this.ingest(r));
    await this.waitUntilCaughtUp();
  }

  /** Resolves once every record on the topic at call time has been ingested. */
  waitUntilCaughtUp(timeoutMs = this.opts.catchUpTimeoutMs ?? 5000): Promise<void> {
    // Callers that arrive while a catch-up runs wait for the next one, which reads the
    // topic's end after they arrived; all callers waiting meanwhile share it.
    this.queued ??= (this.current ?? Promise.resolve())
      .catch(() => undefined)
      .then(() => {
        this.queued = null;
        const startedAtMs = Date.now();
        const run = this.opts.feed.waitUntilCaughtUp(timeoutMs);
        this.current = run;
        run.then(
          () => {
            this.caughtUpAsOfMs = Math.max(this.caughtUpAsOfMs, startedAtMs);
            this.clearCurrent(run);
          },
          () => this.clearCurrent(run),
        );
        return run;
      });
    return this.queued;
  }

  async resolve(name: string, revision: number | null): Promise<CodePackage | null> {
    const r = await this.resolveOrReason(name, revision);
    return r.ok ? r.pkg : null;
  }

  /** Like `resolve`, but says why nothing can run (for the REJECTED result's reason). */
  async resolveOrReason(name: string, revision: number | null, asOfMs?: number): Promise<Resolution> {
    const known = this.entries.get(name);
    const fresh =
      asOfMs !== undefined && known !== undefined && this.caughtUpAsOfMs >= asOfMs - PUSH_VISIBILITY_MS;
    // Keep the catalog's view recent while tasks flow, so a live stream of tasks seldom waits.
    if (Date.now() - this.caughtUpAsOfMs > REFRESH_MS && this.queued === null)
      void this.waitUntilCaughtUp().catch(() => undefined);
    if (!fresh && (revision === null || !known?.has(revision))) {
      await this.waitUntilCaughtUp().catch((err: Error) => {
        this.opts.log?.(`code catalog: answering from cache, not caught up: ${err.message}`);
      });
    }
    const revisions = this.entries.get(name);
    if (!revisions || revisions.size === 0) return { ok: false, reason: `unknown code package '${name}'` };
    const rev = revision ?? newest(revisions);
    const entry = revisions.get(rev);
    if (!entry)
      return {
        ok: false,
        reason: `code package '${name}' has no revision ${rev} (newest is ${newest(revisions)})`,
      };
    if (entry.corrupt)
      return { ok: false, reason: `code package ${name}@${rev} is corrupt: ${entry.corrupt}` };
    const memo = this.resolved.get(entry);
    if (memo !== undefined) return { ok: true, pkg: memo };
    const tarball = await this.cache.get(entry.digest);
    if (!tarball)
      return {
        ok: false,
        reason: `code package ${name}@${rev}: cached tarball missing or failed verification against ${entry.digest}`,
      };
    const { corrupt: _, ...meta } = entry;
    const pkg = { ...meta, tarball };
    if (this.resolved.size >= RESOLVED_MAX) this.resolved.clear();
    this.resolved.set(entry, pkg);
    return { ok: true, pkg };
  }

  /** Every revision known, sorted by name then revision. */
  list(): CatalogEntry[] {
    return [...this.entries.values()]
      .flatMap((m) => [...m.values()])
      .sort((a, b) => a.name.localeCompare(b.name) || a.revision - b.revision);
  }

  /** Records on the topic that could not be decoded (skipped). */
  get undecodableRecords(): number {
    return this.undecodable;
  }

  async close(): Promise<void> {
    await this.opts.feed.close();
  }

  private clearCurrent(run: Promise<void>): void {
    if (this.current === run) this.current = null;
  }

  private async ingest(record: CodeRecord): Promise<void> {
    if (record.value === null) return;
    let pkg: CodePackage;
    try {
      pkg = await codePackageCodec.decodeAsync(record.value);
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
      this.undecodable++;
      this.opts.log?.(
        `code catalog: skipping record ${record.partition}/${record.offset} (key ${record.key}): ${err.message}`,
      );
      return;
    }
    let corrupt: string | null = null;
    if (!matchesDigest(pkg.tarball, pkg.digest)) {
      corrupt = `tarball does not match its digest ${pkg.digest}`;
      this.opts.log?.(`code catalog: ${pkg.name}@${pkg.revision} is corrupt and will not run: ${corrupt}`);
    } else {
      await this.cache.put(pkg.digest, pkg.tarball).catch((err: Error) => {
        // Resolving this revision then reports the missing tarball; the feed keeps going.
        this.opts.log?.(`code catalog: cannot cache ${pkg.name}@${pkg.revision}: ${err.message}`);
      });
    }
    const { tarball: _, ...meta } = pkg;
    const revisions = this.entries.get(pkg.name) ?? new Map<number, CatalogEntry>();
    this.entries.set(pkg.name, revisions);
    revisions.set(pkg.revision, { ...meta, corrupt });
  }
}
