/**
 * The value, or a test failure naming what was missing: the checked replacement for a non-null
 * assertion (`x!`) in tests, so an absent value fails with a clear message instead of a TypeError.
 */
export function defined<T>(value: T | null | undefined, what: string): T {
  if (value === null || value === undefined) throw new Error(`expected ${what} to be present`);
  return value;
}
