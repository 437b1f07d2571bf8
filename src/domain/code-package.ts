/**
 * A revision of a code package on the compacted `berth.code` topic (key: package name).
 * Mirrors `schemas/code-package.avsc`.
 */
export type IsolationMode = 'FRESH' | 'HOT';

/** How a declared secret reaches the task: an environment variable, or a file under /run/secrets. */
export type SecretDelivery = 'env' | 'file';

/**
 * A secret the package needs, by name only (schema v3): the value never travels on Kafka, each
 * worker resolves it from its own host (docs/code-packages.md "Secrets").
 */
export interface SecretDeclaration {
  /** Environment variable name, or file name under /run/secrets. */
  readonly name: string;
  readonly as: SecretDelivery;
}

export interface CodeManifest {
  readonly name: string;
  readonly stack: string;
  /** argv run with /task/code as working directory. */
  readonly command: readonly string[];
  readonly timeoutMs: number;
  readonly memoryBytes: number;
  readonly env: Readonly<Record<string, string>>;
  readonly network: boolean;
  readonly maxAttempts: number;
  readonly retryDelayMs: number;
  /** Per worker; 0 = unlimited. */
  readonly maxConcurrency: number;
  readonly isolation: IsolationMode;
  /**
   * `FILE:FUNCTION` (schema v2): with HOT isolation a language runtime loads the package once and
   * calls this function per task (function mode, docs/function-runtimes.md); null: `command` runs
   * per task.
   */
  readonly handler: string | null;
  /** Secrets the package needs, by name (schema v3; empty for older revisions). */
  readonly secrets: readonly SecretDeclaration[];
}

export interface CodePackage {
  readonly name: string;
  /** Increases by one per push of different content. */
  readonly revision: number;
  /** `sha256:<hex>` of the tarball: content address, verified before use. */
  readonly digest: string;
  readonly manifest: CodeManifest;
  /** Reproducible tar of the package directory. */
  readonly tarball: Uint8Array;
  readonly createdAtMs: number;
}
