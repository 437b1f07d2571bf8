import { createHash, timingSafeEqual } from 'node:crypto';

/** `sha256:<hex>` of `bytes`: the content address of a code package tarball. */
export function sha256Digest(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** True when `bytes` hash to `digest` (`sha256:<hex>`); constant-time comparison. */
export function matchesDigest(bytes: Uint8Array, digest: string): boolean {
  const actual = Buffer.from(sha256Digest(bytes));
  const expected = Buffer.from(digest);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
