import { type PositionCodec, UNPARSED_TOPIC } from './position-codec.js';
import { grown } from './typed-array-growth.js';

/**
 * One record position (`topic/partition@offset`) per numbered slot, kept as numbers in typed
 * arrays: 14 bytes a slot and no object per position. A text the codec refuses is kept as it is
 * in a side map (a rare path), so any string can be stored.
 *
 * Contract: `equals(slot, text)` is true exactly when `text` is the string last `set` (or
 * `copy`-ed) at `slot`, and `text(slot)` gives that string back; a slot holds nothing worth
 * reading after `clear`. Columns sharing one codec share its topic table.
 */
export class PositionColumn {
  private topics: Uint16Array;
  private partitions: Int32Array;
  private offsets: Float64Array;
  private readonly unparsed = new Map<number, string>();

  constructor(
    private readonly codec: PositionCodec,
    capacity: number,
  ) {
    this.topics = new Uint16Array(capacity);
    this.partitions = new Int32Array(capacity);
    this.offsets = new Float64Array(capacity);
  }

  /** Makes room for slots below `capacity` (at least the current one), keeping their contents. */
  grow(capacity: number): void {
    this.topics = grown(this.topics, new Uint16Array(capacity));
    this.partitions = grown(this.partitions, new Int32Array(capacity));
    this.offsets = grown(this.offsets, new Float64Array(capacity));
  }

  set(slot: number, text: string): void {
    const codec = this.codec;
    if (codec.parse(text, true)) {
      if (this.topics[slot] === UNPARSED_TOPIC) this.unparsed.delete(slot);
      this.topics[slot] = codec.topic;
      this.partitions[slot] = codec.partition;
      this.offsets[slot] = codec.offset;
    } else {
      this.topics[slot] = UNPARSED_TOPIC;
      this.unparsed.set(slot, text);
    }
  }

  /** Stores at `slot` the position `from` holds at `slot` (no parse). */
  copy(slot: number, from: PositionColumn): void {
    const topic = from.topics[slot] as number;
    if (topic === UNPARSED_TOPIC) {
      this.unparsed.set(slot, from.unparsed.get(slot) as string);
    } else {
      if (this.topics[slot] === UNPARSED_TOPIC) this.unparsed.delete(slot);
      this.partitions[slot] = from.partitions[slot] as number;
      this.offsets[slot] = from.offsets[slot] as number;
    }
    this.topics[slot] = topic;
  }

  equals(slot: number, text: string): boolean {
    const topic = this.topics[slot] as number;
    if (topic === UNPARSED_TOPIC) return this.unparsed.get(slot) === text;
    const codec = this.codec;
    return (
      codec.parse(text, false) &&
      codec.topic === topic &&
      codec.partition === this.partitions[slot] &&
      codec.offset === this.offsets[slot]
    );
  }

  text(slot: number): string {
    const topic = this.topics[slot] as number;
    if (topic === UNPARSED_TOPIC) return this.unparsed.get(slot) as string;
    return this.codec.format(topic, this.partitions[slot] as number, this.offsets[slot] as number);
  }

  /** Drops what `slot` holds (its text, if it was kept as one). */
  clear(slot: number): void {
    if (this.topics[slot] !== UNPARSED_TOPIC) return;
    this.unparsed.delete(slot);
    this.topics[slot] = 0;
  }
}
