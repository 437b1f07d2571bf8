/** Topic number of a position that is not kept as numbers (see `PositionCodec.parse`). */
export const UNPARSED_TOPIC = 0xffff;

/** Topic names a codec numbers at most; positions of further topics are kept as text. */
const MAX_TOPICS = 1024;
/** Topics looked up by a scan (no substring is cut) before the name map is asked. */
const SCANNED_TOPICS = 8;
const DIGIT_0 = 48;
const DIGIT_9 = 57;
const MAX_PARTITION = 0x7fffffff;

/**
 * A record position `topic/partition@offset` as three numbers: a topic number (into a small table
 * of topic names met so far), the partition and the offset.
 *
 * Contract: `parse` accepts a text only if `format` of its numbers gives back exactly that text
 * (partition and offset canonical decimals, partition at most 2^31 - 1, offset at most
 * 2^53 - 1, the topic everything before the last '/' ahead of the last '@'), so two parsed texts
 * are equal exactly when their numbers are. Any other text is refused and must be kept as text.
 * `parse` allocates nothing for a topic among the first few numbered.
 */
export class PositionCodec {
  /** The topic number found by the last successful `parse`. */
  topic = 0;
  /** The partition found by the last successful `parse`. */
  partition = 0;
  /** The offset found by the last successful `parse`. */
  offset = 0;
  private readonly names: string[] = [];
  private readonly numbers = new Map<string, number>();

  /**
   * Parses `text` into `topic`, `partition` and `offset`; false if it is not a canonical
   * position, or if its topic has no number and `intern` is false (a position compared, not
   * stored: it cannot equal a stored one) or the topic table is full.
   */
  parse(text: string, intern: boolean): boolean {
    const at = text.lastIndexOf('@');
    if (at < 1) return false;
    const slash = text.lastIndexOf('/', at - 1);
    if (slash < 0) return false;
    const partition = decimal(text, slash + 1, at, 10);
    if (!(partition <= MAX_PARTITION)) return false;
    const offset = decimal(text, at + 1, text.length, 16);
    if (!(offset <= Number.MAX_SAFE_INTEGER)) return false;
    const topic = this.topicNumber(text, slash, intern);
    if (topic < 0) return false;
    this.topic = topic;
    this.partition = partition;
    this.offset = offset;
    return true;
  }

  /** The text of a position whose numbers a `parse` of this codec produced. */
  format(topic: number, partition: number, offset: number): string {
    return `${this.names[topic]}/${partition}@${offset}`;
  }

  /** The number of the topic `text.slice(0, length)`, or -1. */
  private topicNumber(text: string, length: number, intern: boolean): number {
    const names = this.names;
    const scanned = Math.min(names.length, SCANNED_TOPICS);
    for (let i = 0; i < scanned; i++) {
      const name = names[i] as string;
      if (name.length === length && text.startsWith(name)) return i;
    }
    if (names.length <= SCANNED_TOPICS && !intern) return -1;
    const name = text.slice(0, length);
    const known = this.numbers.get(name);
    if (known !== undefined) return known;
    if (!intern || names.length >= MAX_TOPICS) return -1;
    names.push(name);
    this.numbers.set(name, names.length - 1);
    return names.length - 1;
  }
}

/**
 * The canonical decimal `text[from, to)` (no sign, no leading zero unless it is "0", at most
 * `maxDigits` digits) as a number, or NaN. Values above 2^53 may round, but never down to 2^53 - 1
 * or below, so a bound check after it stays exact.
 */
function decimal(text: string, from: number, to: number, maxDigits: number): number {
  const digits = to - from;
  if (digits < 1 || digits > maxDigits) return Number.NaN;
  if (digits > 1 && text.charCodeAt(from) === DIGIT_0) return Number.NaN;
  let value = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c < DIGIT_0 || c > DIGIT_9) return Number.NaN;
    value = value * 10 + (c - DIGIT_0);
  }
  return value;
}
