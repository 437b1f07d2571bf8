/** Bytes of a container's stderr kept for diagnostics. */
const STDERR_TAIL_BYTES = 4096;

/**
 * The last few KiB a container wrote on stderr (launcher diagnostics), kept so that an error
 * about the container can say what it printed, without buffering its whole stderr.
 */
export class StderrTail {
  private tail = Buffer.alloc(0);

  push(chunk: Buffer): void {
    const joined = Buffer.concat([this.tail, chunk]);
    this.tail =
      joined.length > STDERR_TAIL_BYTES ? joined.subarray(joined.length - STDERR_TAIL_BYTES) : joined;
  }

  /** The kept bytes as trimmed text. */
  text(): string {
    return this.tail.toString('utf8').trim();
  }
}
