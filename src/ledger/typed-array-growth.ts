/** `to` (a larger typed array of the same kind) with `from`'s contents at its start. */
export function grown<T extends Uint8Array | Uint16Array | Int32Array | Float64Array>(from: T, to: T): T {
  to.set(from);
  return to;
}
