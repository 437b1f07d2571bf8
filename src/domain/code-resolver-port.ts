import type { CodePackage } from './code-package.js';

/**
 * Resolves code package references on the worker. Contract: `revision` null means the newest
 * known revision at call time; the returned package's tarball has been verified against its
 * digest; unknown name or revision returns null with no side effect.
 */
export interface CodeResolverPort {
  resolve(name: string, revision: number | null): Promise<CodePackage | null>;
}
