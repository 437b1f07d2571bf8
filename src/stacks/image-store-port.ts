/** What the stacks code needs to know about a local image. */
export interface ImageInfo {
  /** `sha256:…` */
  readonly id: string;
  readonly repoTags: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
  /** Total size including parent layers, as the engine reports it. */
  readonly sizeBytes: number;
  readonly createdAtMs: number;
}

/**
 * Read-only access to the engine's local images. Contract: `inspect` returns null for an image
 * that does not exist; engine failures are `InfraError` (component "docker"). Never pulls.
 */
export interface ImageStore {
  inspect(ref: string): Promise<ImageInfo | null>;
  /** Images carrying the label `key=value`. */
  listByLabel(key: string, value: string): Promise<readonly ImageInfo[]>;
}
