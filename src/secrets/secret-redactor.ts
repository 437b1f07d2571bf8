import type { ExecutionOutcome } from '../domain/executor-port.js';
import type { LiveFeed } from '../domain/live-feed.js';

/** One secret to hide: its name (shown in the marker) and its value. */
export interface RedactedSecret {
  readonly name: string;
  readonly value: Uint8Array;
}

interface Pattern {
  readonly bytes: Buffer;
  readonly text: string | null;
  readonly marker: string;
}

/** The text put in place of a secret value. */
export function redactionMarker(name: string): string {
  return `[redacted:${name}]`;
}

/**
 * Replaces the values of a task's secrets by `[redacted:NAME]` in what a task hands back (stdout,
 * stderr, reason, return value, output files) and in error text, before anything is published
 * or logged. Each value is matched as raw bytes and, when it is text that JSON would escape
 * (quotes, backslashes, line breaks), in its JSON-escaped form too, longest values first.
 *
 * Limits: only exact occurrences are caught — a value that is encoded (base64, hex, URL),
 * split, partly printed, or cut by an output cap passes through. Empty values are never matched.
 */
export class SecretRedactor {
  private readonly patterns: Pattern[] = [];

  constructor(secrets: readonly RedactedSecret[]) {
    for (const s of secrets) {
      if (s.value.byteLength === 0) continue;
      const marker = redactionMarker(s.name);
      const text = utf8(s.value);
      this.patterns.push({ bytes: Buffer.from(s.value), text, marker });
      if (text !== null) {
        const escaped = JSON.stringify(text).slice(1, -1);
        if (escaped !== text) this.patterns.push({ bytes: Buffer.from(escaped), text: escaped, marker });
      }
    }
    this.patterns.sort((a, b) => b.bytes.byteLength - a.bytes.byteLength);
  }

  /** True when there is nothing to redact (no secrets, or only empty values). */
  get empty(): boolean {
    return this.patterns.length === 0;
  }

  bytes(data: Uint8Array): Uint8Array {
    let buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    let changed = false;
    for (const p of this.patterns) {
      if (buf.indexOf(p.bytes) === -1) continue;
      buf = replaceAll(buf, p.bytes, Buffer.from(p.marker));
      changed = true;
    }
    return changed ? new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength) : data;
  }

  /** A feed that passes output and progress messages through this redactor before `feed`. */
  feed(feed: LiveFeed): LiveFeed {
    return {
      intervalMs: feed.intervalMs,
      output: (stream, data) => feed.output(stream, this.bytes(data)),
      progress: (percent, message) => feed.progress(percent, this.text(message)),
    };
  }

  text(s: string): string {
    let out = s;
    for (const p of this.patterns) if (p.text !== null) out = out.split(p.text).join(p.marker);
    return out;
  }

  /** The outcome with every secret value replaced in its texts and bytes. */
  outcome(o: ExecutionOutcome): ExecutionOutcome {
    if (this.empty) return o;
    return {
      ...o,
      stdout: this.bytes(o.stdout),
      stderr: this.bytes(o.stderr),
      reason: o.reason === null ? null : this.text(o.reason),
      outputs: o.outputs.map((f) => ({ name: this.text(f.name), data: this.bytes(f.data) })),
      ...(o.returnValue
        ? { returnValue: { kind: o.returnValue.kind, data: this.bytes(o.returnValue.data) } }
        : {}),
    };
  }

  /** An error whose message no longer holds a secret value (same class kept for `Error` subclasses). */
  error(err: unknown): unknown {
    if (this.empty || !(err instanceof Error)) return err;
    const message = this.text(err.message);
    if (message === err.message) return err;
    err.message = message;
    if (err.stack !== undefined) err.stack = this.text(err.stack);
    return err;
  }
}

function utf8(value: Uint8Array): string | null {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(value);
  } catch {
    return null;
  }
}

function replaceAll(buf: Buffer, find: Buffer, by: Buffer): Buffer {
  const parts: Buffer[] = [];
  let from = 0;
  for (let at = buf.indexOf(find, from); at !== -1; at = buf.indexOf(find, from)) {
    parts.push(buf.subarray(from, at), by);
    from = at + find.byteLength;
  }
  parts.push(buf.subarray(from));
  return Buffer.concat(parts);
}
