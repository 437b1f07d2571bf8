/** Raised when one line grows beyond the reader's cap; the stream is then unusable. */
export class FrameTooLargeError extends Error {
  constructor(readonly limitBytes: number) {
    super(`launcher frame exceeded ${limitBytes} bytes`);
    this.name = 'FrameTooLargeError';
  }
}

/**
 * Splits a byte stream into `\n`-terminated lines, holding at most `maxLineBytes` of an
 * unfinished line. Contract: `push` returns the complete lines found so far (without the newline,
 * decoded as UTF-8) and throws `FrameTooLargeError` as soon as a line exceeds the cap, so a broken
 * producer can never make the reader buffer more than the cap. The cap can be changed between
 * pushes (it grows when a task with larger output caps is handed over).
 */
export class FrameLineReader {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(private maxLineBytes: number) {}

  setMaxLineBytes(maxLineBytes: number): void {
    this.maxLineBytes = maxLineBytes;
  }

  push(chunk: Buffer): string[] {
    const lines: string[] = [];
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      if (nl === -1) break;
      if (this.pendingBytes === 0) {
        // The whole line is in this chunk: decode it in place, no copy.
        if (nl - start > this.maxLineBytes) this.append(chunk.subarray(start, nl));
        lines.push(chunk.toString('utf8', start, nl));
      } else {
        this.append(chunk.subarray(start, nl));
        lines.push(Buffer.concat(this.pending, this.pendingBytes).toString('utf8'));
        this.pending = [];
        this.pendingBytes = 0;
      }
      start = nl + 1;
    }
    if (start < chunk.length) this.append(chunk.subarray(start));
    return lines;
  }

  /** Bytes of an unfinished line held right now. */
  get bufferedBytes(): number {
    return this.pendingBytes;
  }

  private append(part: Buffer): void {
    if (this.pendingBytes + part.length > this.maxLineBytes) {
      this.pending = [];
      this.pendingBytes = 0;
      throw new FrameTooLargeError(this.maxLineBytes);
    }
    if (part.length > 0) {
      this.pending.push(part);
      this.pendingBytes += part.length;
    }
  }
}
