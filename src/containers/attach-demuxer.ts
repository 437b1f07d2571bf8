import type { Writable } from 'node:stream';

/** Size of the header before each frame of a multiplexed attach stream. */
const HEADER_BYTES = 8;

/**
 * Splits the engine's multiplexed attach stream (Tty false) into stdout and stderr: frames of an
 * 8-byte header (stream type 0 stdin / 1 stdout / 2 stderr, 3 zero bytes, big-endian uint32
 * length) and the payload.
 *
 * Contract: `push(chunk)` accepts the stream's chunks as they arrive, split anywhere; payloads
 * reach `stdout`/`stderr` in order, consecutive payloads of one stream in one chunk as one write
 * (no copy when a single frame's payload lies in one chunk). A header with another stream type
 * means the stream is not multiplexed (or misaligned): from there on every byte goes to stdout as
 * is. Each input byte is looked at once (the engine's own demuxer re-copies the rest of a chunk
 * after every frame, which is quadratic in the frames per chunk).
 */
export class AttachDemuxer {
  /** Bytes of a header or payload that began in an earlier chunk. */
  private partial: Buffer[] = [];
  private partialBytes = 0;
  /** The frame being read: its stream (1 or 2; 0 counts as stdout) and payload bytes still due. */
  private stream = 0;
  private due = -1;
  private raw = false;

  constructor(
    private readonly stdout: Writable,
    private readonly stderr: Writable,
  ) {}

  push(chunk: Buffer): void {
    if (this.raw) {
      this.stdout.write(chunk);
      return;
    }
    let at = 0;
    let runStream = 0;
    let run: Buffer[] = [];
    const flush = () => {
      if (run.length === 0) return;
      const data = run.length === 1 ? (run[0] as Buffer) : Buffer.concat(run);
      (runStream === 2 ? this.stderr : this.stdout).write(data);
      run = [];
    };
    while (at < chunk.length) {
      if (this.due < 0) {
        // Reading a header, possibly continued from an earlier chunk.
        const need = HEADER_BYTES - this.partialBytes;
        if (chunk.length - at < need) {
          this.keep(chunk.subarray(at));
          break;
        }
        const header =
          this.partialBytes === 0
            ? chunk.subarray(at, at + HEADER_BYTES)
            : Buffer.concat([...this.partial, chunk.subarray(at, at + need)]);
        at += need;
        this.partial = [];
        this.partialBytes = 0;
        const type = header[0] as number;
        if (type > 2) {
          flush();
          this.raw = true;
          this.stdout.write(Buffer.concat([header, chunk.subarray(at)]));
          return;
        }
        this.stream = type === 2 ? 2 : 1;
        this.due = header.readUInt32BE(4);
        if (this.due === 0) this.due = -1;
        continue;
      }
      const take = Math.min(this.due, chunk.length - at);
      const part = chunk.subarray(at, at + take);
      at += take;
      this.due -= take;
      if (this.stream !== runStream) {
        flush();
        runStream = this.stream;
      }
      run.push(part);
      if (this.due === 0) this.due = -1;
    }
    flush();
  }

  private keep(bytes: Buffer): void {
    this.partial.push(bytes);
    this.partialBytes += bytes.length;
  }
}
