import { grown } from './typed-array-growth.js';

/**
 * Bytes of an id's encoding kept in the index's own arrays, per slot; an id whose encoding is
 * longer is kept in a side map (a rare path: task ids are usually 36-character UUIDs).
 */
export const ID_WIDTH = 64;

/** `lengths` value of a slot whose id is kept in the side map. */
const LONG = 0xff;
const WORDS_PER_SLOT = ID_WIDTH / 4;
/** Buckets of the smallest table. */
const MIN_BUCKETS = 16;
/** `lastLength` when there is no id for `addLast`. */
const NONE = -2;
/** Whether an `Int32Array` word holds its four bytes lowest first (the fast ASCII path's layout). */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * An id → slot index that keeps no id string: each id's bytes (`encodeId`) sit in a fixed-width
 * area of its slot in a typed array, and the hash table is an `Int32Array` of buckets
 * `[hash, slot + 1]` (0: empty), open addressing with linear probing. Its backing stores are
 * array buffers, outside the V8 heap, so the index puts nothing on the heap per id but for ids
 * whose encoding is longer than `ID_WIDTH` bytes (kept in a side map).
 *
 * Contract: `find(id)` is the slot this very string (equal UTF-16 code units) was filed under by
 * `addLast` and not `remove`d since, else -1; `size` counts the ids held. An id is filed only as
 * the id of the latest `find` (its encoding and hash are reused), when the index does not hold
 * it, under a slot the caller chooses: below the capacity and holding no id.
 *
 * The table has a power-of-two number of buckets, at least twice the slot capacity, so it is at
 * most half full and probe runs stay short; it is rebuilt when the capacity grows. Removal shifts
 * the following entries of the run back into the hole (no tombstones): the memory forgets an id
 * for about every id it adds, so tombstones would pile up at that rate and need periodic
 * rebuilds, whereas a backward shift leaves the table exactly as if the removed id had never been
 * added, at the cost of moving the few entries of a short run.
 */
export class IdIndex {
  /** Per slot `ID_WIDTH` bytes: the id's encoding, zero-padded to a whole word. */
  private keys: Int32Array;
  /** Per slot: the byte length of the id's encoding, or `LONG`. */
  private lengths: Uint8Array;
  /** Per slot: the id's hash (`hashIdBytes`), to find its bucket again. */
  private hashes: Int32Array;
  /** Buckets `[hash, slot + 1]`; slot + 1 = 0: empty. */
  private table: Int32Array;
  /** Number of buckets - 1. */
  private mask: number;
  private count = 0;
  private readonly long = new Map<string, number>();
  /** The id of a slot in `long`. */
  private readonly longIds = new Map<number, string>();
  /** The encoding of the id last looked up; a word longer so a 4-byte character can overrun. */
  private readonly scratch = new Uint8Array(ID_WIDTH + 4);
  private readonly scratchWords = new Int32Array(this.scratch.buffer);
  /**
   * The id of the latest `find`, until `addLast` files it: the byte length of its encoding in
   * `scratch` (-1: a long id, in `lastLong`) and its hash; `NONE` after `addLast`.
   */
  private lastLength = NONE;
  private lastHash = 0;
  private lastLong: string | undefined;
  /** The slot the latest `find` found, until it is removed; -1 if none. */
  private lastSlot = -1;

  constructor(capacity: number) {
    this.keys = new Int32Array(capacity * WORDS_PER_SLOT);
    this.lengths = new Uint8Array(capacity);
    this.hashes = new Int32Array(capacity);
    const buckets = bucketsFor(capacity);
    this.table = new Int32Array(2 * buckets);
    this.mask = buckets - 1;
  }

  /** Ids held. */
  get size(): number {
    return this.count + this.long.size;
  }

  /** The slot of `id`, or -1. */
  find(id: string): number {
    const length = this.encode(id);
    this.lastLength = length;
    if (length < 0) {
      this.lastLong = id;
      const slot = this.long.get(id) ?? -1;
      this.lastSlot = slot;
      return slot;
    }
    const hash = hashIdBytes(this.scratchWords, length);
    this.lastHash = hash;
    const table = this.table;
    const mask = this.mask;
    let slot = -1;
    for (let b = hash & mask; ; b = (b + 1) & mask) {
      const entry = table[2 * b + 1] as number;
      if (entry === 0) break;
      if (table[2 * b] === hash && this.holds(entry - 1, length)) {
        slot = entry - 1;
        break;
      }
    }
    this.lastSlot = slot;
    return slot;
  }

  /**
   * Files the id of the latest `find` under `slot`, which holds none. Throws unless that `find`
   * missed the id or the slot it found was removed since, or if `addLast` followed it already
   * (other `remove`s and `grow` in between are fine).
   */
  addLast(slot: number): void {
    const length = this.lastLength;
    if (length === NONE || this.lastSlot >= 0)
      throw new Error('IdIndex.addLast: the id of the latest find is held or was added');
    this.lastLength = NONE;
    if (length < 0) {
      const id = this.lastLong as string;
      this.lastLong = undefined;
      this.long.set(id, slot);
      this.longIds.set(slot, id);
      this.lengths[slot] = LONG;
      return;
    }
    const hash = this.lastHash;
    const words = this.scratchWords;
    const keys = this.keys;
    const base = slot * WORDS_PER_SLOT;
    for (let w = 0, n = (length + 3) >>> 2; w < n; w++) keys[base + w] = words[w] as number;
    this.lengths[slot] = length;
    this.hashes[slot] = hash;
    place(this.table, this.mask, hash, slot + 1);
    this.count++;
  }

  /** Drops the id filed under `slot`, which holds one. */
  remove(slot: number): void {
    if (slot === this.lastSlot) this.lastSlot = -1;
    if (this.lengths[slot] === LONG) {
      this.long.delete(this.longIds.get(slot) as string);
      this.longIds.delete(slot);
      this.lengths[slot] = 0;
      return;
    }
    const table = this.table;
    const mask = this.mask;
    let hole = (this.hashes[slot] as number) & mask;
    while (table[2 * hole + 1] !== slot + 1) hole = (hole + 1) & mask;
    // Backward shift: an entry of the run after the hole moves into it unless its home bucket
    // lies cyclically in (hole, j], where it would no longer be found from its home.
    for (let j = (hole + 1) & mask; table[2 * j + 1] !== 0; j = (j + 1) & mask) {
      const home = (table[2 * j] as number) & mask;
      if (((j - home) & mask) < ((j - hole) & mask)) continue;
      table[2 * hole] = table[2 * j] as number;
      table[2 * hole + 1] = table[2 * j + 1] as number;
      hole = j;
    }
    table[2 * hole] = 0;
    table[2 * hole + 1] = 0;
    this.count--;
  }

  /** Makes room for slots below `capacity` (at least the current one), keeping the ids held. */
  grow(capacity: number): void {
    this.keys = grown(this.keys, new Int32Array(capacity * WORDS_PER_SLOT));
    this.lengths = grown(this.lengths, new Uint8Array(capacity));
    this.hashes = grown(this.hashes, new Int32Array(capacity));
    const buckets = bucketsFor(capacity);
    if (buckets === this.mask + 1) return;
    const old = this.table;
    const table = new Int32Array(2 * buckets);
    const mask = buckets - 1;
    for (let b = 0; b < old.length; b += 2) {
      const entry = old[b + 1] as number;
      if (entry !== 0) place(table, mask, old[b] as number, entry);
    }
    this.table = table;
    this.mask = mask;
  }

  /**
   * Encodes `id` into `scratch` (`encodeId`, with a faster path for ASCII of the same result)
   * and gives the byte length, or -1 for an id longer than `ID_WIDTH` bytes.
   */
  private encode(id: string): number {
    const units = id.length;
    if (units > ID_WIDTH || !LITTLE_ENDIAN) return encodeId(id, this.scratch);
    const words = this.scratchWords;
    let w = 0;
    let i = 0;
    for (; i + 4 <= units; i += 4) {
      const c0 = id.charCodeAt(i);
      const c1 = id.charCodeAt(i + 1);
      const c2 = id.charCodeAt(i + 2);
      const c3 = id.charCodeAt(i + 3);
      if ((c0 | c1 | c2 | c3) > 0x7f) return encodeId(id, this.scratch);
      words[w++] = c0 | (c1 << 8) | (c2 << 16) | (c3 << 24);
    }
    if (i < units) {
      let word = 0;
      for (let shift = 0; i < units; i++, shift += 8) {
        const c = id.charCodeAt(i);
        if (c > 0x7f) return encodeId(id, this.scratch);
        word |= c << shift;
      }
      words[w] = word;
    }
    return units;
  }

  /** Whether `slot` holds the id encoded in `scratch`, `length` bytes long. */
  private holds(slot: number, length: number): boolean {
    if (this.lengths[slot] !== length) return false;
    const keys = this.keys;
    const words = this.scratchWords;
    const base = slot * WORDS_PER_SLOT;
    for (let w = 0, n = (length + 3) >>> 2; w < n; w++) if (keys[base + w] !== words[w]) return false;
    return true;
  }
}

/** Buckets for `capacity` slots: a power of two, at least twice as many. */
function bucketsFor(capacity: number): number {
  let buckets = MIN_BUCKETS;
  while (buckets < 2 * capacity) buckets *= 2;
  return buckets;
}

/** Puts the bucket `[hash, entry]` in the first empty bucket from `hash`'s home on. */
function place(table: Int32Array, mask: number, hash: number, entry: number): void {
  let b = hash & mask;
  while (table[2 * b + 1] !== 0) b = (b + 1) & mask;
  table[2 * b] = hash;
  table[2 * b + 1] = entry;
}

/**
 * Writes the bytes of `id` into `out` (at least `ID_WIDTH + 4` bytes), zero-padded to a whole
 * 4-byte word, and gives their number; -1 if there are more than `ID_WIDTH` (`out` then holds
 * nothing worth reading).
 *
 * The encoding is UTF-8 extended to lone surrogates (WTF-8): a surrogate pair is one 4-byte
 * character, any other code unit 1 to 3 bytes. Unlike UTF-8 proper (`TextEncoder`,
 * `Buffer.write`), which turns every lone surrogate into U+FFFD, it is one-to-one on all
 * strings, so two ids have the same bytes exactly when they are the same string.
 */
export function encodeId(id: string, out: Uint8Array): number {
  const units = id.length;
  if (units > ID_WIDTH) return -1; // every code unit takes at least one byte
  let at = 0;
  for (let i = 0; i < units; i++) {
    const c = id.charCodeAt(i);
    if (c < 0x80) {
      if (at === ID_WIDTH) return -1;
      out[at++] = c;
      continue;
    }
    if (c < 0x800) {
      out[at++] = 0xc0 | (c >>> 6);
    } else {
      const next = i + 1 < units ? id.charCodeAt(i + 1) : 0;
      if (c >= 0xd800 && c < 0xdc00 && next >= 0xdc00 && next < 0xe000) {
        const point = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
        out[at++] = 0xf0 | (point >>> 18);
        out[at++] = 0x80 | ((point >>> 12) & 0x3f);
        out[at++] = 0x80 | ((point >>> 6) & 0x3f);
        out[at++] = 0x80 | (point & 0x3f);
        i++;
        if (at > ID_WIDTH) return -1;
        continue;
      }
      out[at++] = 0xe0 | (c >>> 12);
      out[at++] = 0x80 | ((c >>> 6) & 0x3f);
    }
    out[at++] = 0x80 | (c & 0x3f);
    if (at > ID_WIDTH) return -1;
  }
  for (let pad = at; (pad & 3) !== 0; pad++) out[pad] = 0;
  return at;
}

/**
 * A 32-bit hash (MurmurHash3's mixing, over whole words, the length mixed in last) of `length`
 * bytes encoded by `encodeId`, read as the words of `words`. Not stable across byte orders: it is
 * for in-process lookups only.
 */
export function hashIdBytes(words: Int32Array, length: number): number {
  let h = 0x9747b28c;
  for (let w = 0, n = (length + 3) >>> 2; w < n; w++) {
    let k = Math.imul(words[w] as number, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  h ^= length;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return h ^ (h >>> 16);
}

const hashScratch = new Uint8Array(ID_WIDTH + 4);
const hashScratchWords = new Int32Array(hashScratch.buffer);

/** The hash `IdIndex` files `id` under, or undefined for an id kept in its side map. */
export function idHash(id: string): number | undefined {
  const length = encodeId(id, hashScratch);
  return length < 0 ? undefined : hashIdBytes(hashScratchWords, length);
}
