/** What one source knows about one secret name. */
export type SecretLookup =
  | { readonly kind: 'found'; readonly value: Uint8Array }
  /** Not provided here; `looked` says where (a path, a variable), never a value. */
  | { readonly kind: 'absent'; readonly looked: string }
  /** Provided but refused (unsafe permissions, too large, unreadable); the reason names no value. */
  | { readonly kind: 'unusable'; readonly reason: string };

/**
 * A place on the worker's own host secret values come from (a directory of files, an allow-listed
 * environment). Contract: `lookup` never rejects; it reads the current value (a changed file is
 * seen by the next lookup) and never puts a value into `looked` or `reason`.
 */
export interface SecretSourcePort {
  lookup(name: string): Promise<SecretLookup>;
}
