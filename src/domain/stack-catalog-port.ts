/** A language stack as the worker sees it: a name pinned to a locally present image. */
export interface ResolvedStack {
  readonly name: string;
  readonly language: string;
  readonly version: string;
  /** Image id (sha256:…) of `berth/stack-<name>:current` at resolve time. */
  readonly imageId: string;
  /**
   * The function runtime the image carries at /opt/berth/runtime (a `stacks/runtimes/` directory
   * name such as `node`), from its `berth.stack.runtime` label; null when it has none (such a
   * stack cannot run function-mode packages).
   */
  readonly runtime: string | null;
}

/**
 * Resolves stack names to locally built images. Contract: never builds or pulls; returns null
 * for a stack that is not built here (the task is then REJECTED).
 */
export interface StackCatalogPort {
  resolve(name: string): Promise<ResolvedStack | null>;
  list(): Promise<readonly ResolvedStack[]>;
}
