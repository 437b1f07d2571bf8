import type { CodePackage } from './code-package.js';

/** A resolved package, or the precise reason none can run (for a REJECTED result). */
export type CodeResolution =
  | { readonly ok: true; readonly pkg: CodePackage }
  | { readonly ok: false; readonly reason: string };

/**
 * Resolves code package references on the worker. Contract: `revision` null means the newest
 * known revision at call time; the returned package's tarball has been verified against its
 * digest; unknown name or revision returns null with no side effect.
 */
export interface CodeResolverPort {
  resolve(name: string, revision: number | null): Promise<CodePackage | null>;
  /**
   * Optional: like `resolve`, but says why nothing can run ("has no revision 9 (newest is 2)",
   * "is corrupt: …"). Callers prefer it when present and fall back to `resolve` otherwise.
   * `asOfMs` (the task's creation time): a push made before it must be visible; a resolver that
   * has read the code topic to its end since then need not read it again.
   */
  resolveOrReason?(name: string, revision: number | null, asOfMs?: number): Promise<CodeResolution>;
}
