// Berth function runtime for Node 18 and 20 (docs/function-runtimes.md §2). Plain JavaScript,
// no dependencies, started by ./start with cwd = the code directory.
//
// Contract:
// - BERTH_HANDLER = FILE:FUNCTION. FILE (relative to the cwd; .js/.cjs/.mjs, ESM or CJS) is
//   loaded once with import(); FUNCTION is a named export, else default[FUNCTION] (which covers
//   module.exports.FUNCTION). Loaded → `L` on fd 4; any failure → `E` on fd 4 and exit 1.
// - fd 3 carries `C` lines, one call each, served strictly one at a time in order; EOF → exit 0.
// - Per call: FUNCTION(payload: Buffer, ctx) is called (a returned promise is awaited) and its
//   value mapped: Buffer/Uint8Array → bytes, string → string, null/undefined → null, anything
//   else → JSON.stringify → json (unserialisable → `E`). A throw/rejection → `E` with
//   "name: message" and the stack. Then stdout and stderr are flushed, the marker
//   \x1e<marker>\x1e is written to fd 1 and fd 2, and only then the `R`/`E` line to fd 4.
// - A handler calling process.exit ends the runtime (the launcher reports a crash).

import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const CALLS_FD = 3;
const REPLIES_FD = 4;
const NULL_REPLY = 'R\tnull\t\n';
const MARKER_LENGTH = 32;

/** The per-call context handed to the handler. */
class Context {
  constructor(taskId, attempt, labels, deadlineMs) {
    this.taskId = taskId;
    this.attempt = attempt;
    this.labels = labels;
    this.deadlineMs = deadlineMs;
  }

  /** Milliseconds left until deadlineMs, never negative. */
  remainingMs() {
    const left = this.deadlineMs - Date.now();
    return left > 0 ? left : 0;
  }

  /**
   * Reports progress: pct (0–100, or null for none) and an optional message. Best effort: the
   * launcher forwards the newest report at most a few times a second; it never fails the call.
   */
  progress(pct, msg = '') {
    writeLine(REPLIES_FD, progressLine(pct, msg));
  }
}

/** `P\t<pct>\t<b64 msg>\n` (docs/function-runtimes.md §2); pct empty when not a finite number. */
function progressLine(pct, msg) {
  const p = typeof pct === 'number' && Number.isFinite(pct) ? String(pct) : '';
  return `P\t${p}\t${Buffer.from(String(msg ?? ''), 'utf8').toString('base64')}\n`;
}

// ---- fd 4 replies and the fd 1/2 markers -------------------------------------------------------

// Reused for every call: \x1e + 32 marker characters + \x1e. Safe because a call's marker writes
// complete before its reply, and the next call starts only after that reply.
const marker = Buffer.alloc(MARKER_LENGTH + 2, 0x1e);
const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/** Writes an ASCII line completely to fd (blocking; retries EAGAIN should fd be non-blocking). */
function writeLine(fd, line) {
  let rest = line;
  for (;;) {
    let written;
    try {
      written = fs.writeSync(fd, rest, null, 'latin1');
    } catch (err) {
      if (err.code === 'EAGAIN') {
        Atomics.wait(sleepCell, 0, 0, 1);
        continue;
      }
      throw err;
    }
    if (written === rest.length) return;
    rest = rest.slice(written); // ASCII: bytes written = characters written
  }
}

/**
 * Writes the marker to fd after everything `stream` (process.stdout/stderr on that fd) still
 * holds. Returns null when done synchronously (the usual case: nothing queued), else a promise
 * that settles once the stream has written it. A closed fd counts as marked.
 */
function markStream(stream, fd) {
  let rest = marker;
  if (stream.writableLength === 0) {
    try {
      const written = fs.writeSync(fd, marker);
      if (written === marker.length) return null;
      rest = marker.subarray(written);
    } catch (err) {
      if (err.code !== 'EAGAIN') return null; // EPIPE/EBADF: the fd is gone, nothing to mark
    }
  }
  return new Promise((resolve) => {
    try {
      stream.write(rest, () => resolve());
    } catch {
      resolve();
    }
  });
}

/** Marks fd 1 and fd 2, then writes the reply. Returns a promise only when it had to wait. */
function markAndReply(reply) {
  const out = markStream(process.stdout, 1);
  const err = markStream(process.stderr, 2);
  if (out === null && err === null) {
    writeLine(REPLIES_FD, reply);
    return null;
  }
  return Promise.all([out, err]).then(() => writeLine(REPLIES_FD, reply));
}

// ---- value and error mapping --------------------------------------------------------------------

function b64(text) {
  return Buffer.from(text, 'utf8').toString('base64');
}

const OWN_URL = import.meta.url;

/** The stack without the runtime's own frames (those below the handler's). */
function userStack(stack) {
  const own = stack.indexOf(OWN_URL);
  if (own < 0) return stack;
  const lineStart = stack.lastIndexOf('\n', own);
  return lineStart < 0 ? stack : stack.slice(0, lineStart);
}

function errorReply(err) {
  let message;
  let stack = '';
  try {
    if (err !== null && typeof err === 'object' && typeof err.message === 'string') {
      const name = typeof err.name === 'string' && err.name !== '' ? err.name : 'Error';
      message = `${name}: ${err.message}`;
      if (typeof err.stack === 'string') stack = userStack(err.stack);
    } else {
      message = String(err);
    }
  } catch {
    message = 'handler threw a value that cannot be described';
  }
  return `E\t${b64(message)}\t${b64(stack)}\n`;
}

function valueReply(value) {
  if (value === null || value === undefined) return NULL_REPLY;
  if (typeof value === 'string') return `R\tstring\t${b64(value)}\n`;
  if (value instanceof Uint8Array) {
    const bytes = Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    return `R\tbytes\t${bytes.toString('base64')}\n`;
  }
  let json;
  try {
    json = JSON.stringify(value);
  } catch (err) {
    return errorReply(err);
  }
  if (json === undefined) return errorReply(new TypeError(`cannot serialise a ${typeof value} as JSON`));
  return `R\tjson\t${b64(json)}\n`;
}

// ---- calls ------------------------------------------------------------------------------------

function fromB64(field) {
  return Buffer.from(field, 'base64').toString('utf8');
}

/** labels field: comma-separated b64(key):b64(value) pairs, empty for none. */
function decodeLabels(field) {
  const labels = {};
  if (field === '') return labels;
  for (const pair of field.split(',')) {
    const colon = pair.indexOf(':');
    const key = fromB64(colon < 0 ? pair : pair.slice(0, colon));
    const value = colon < 0 ? '' : fromB64(pair.slice(colon + 1));
    if (key === '__proto__') Object.defineProperty(labels, key, { value, enumerable: true, writable: true, configurable: true });
    else labels[key] = value;
  }
  return labels;
}

function protocolError(reason) {
  process.stderr.write(`berth node runtime: ${reason}\n`, () => process.exit(1));
  return new Promise(() => {}); // never settles: the process exits
}

/**
 * Runs one call line (`C` + 6 tab-separated fields, no newline). Returns null when the call
 * completed synchronously, else a promise settling when its reply has been written.
 */
function runCall(handler, line) {
  const fields = line.toString('latin1').split('\t');
  const markerField = fields[6];
  if (fields.length !== 7 || fields[0] !== 'C' || markerField.length !== MARKER_LENGTH) {
    return protocolError(`malformed call line (${line.length} bytes)`);
  }
  marker.write(markerField, 1, MARKER_LENGTH, 'latin1');
  const ctx = new Context(fromB64(fields[1]), Number(fields[2]), decodeLabels(fields[4]), Number(fields[3]));
  const payload = Buffer.from(fields[5], 'base64');

  let result;
  try {
    result = handler.fn.call(handler.owner, payload, ctx);
    if (result !== null && (typeof result === 'object' || typeof result === 'function') && typeof result.then === 'function') {
      return Promise.resolve(result).then(
        (value) => markAndReply(valueReply(value)),
        (err) => markAndReply(errorReply(err)),
      );
    }
  } catch (err) {
    return markAndReply(errorReply(err));
  }
  return markAndReply(valueReply(result));
}

/** Reads fd 3, splits it into lines (a line may span many chunks) and runs them one at a time. */
function serve(handler) {
  const queue = []; // complete lines not yet run
  let partial = null; // pieces of the line still being received
  let busy = false;
  let ended = false;

  const pump = () => {
    while (!busy && queue.length > 0) {
      const pending = runCall(handler, queue.shift());
      if (pending !== null) {
        busy = true;
        pending.then(() => {
          busy = false;
          pump();
        });
      }
    }
    if (!busy && ended) process.exit(0);
  };

  const onData = (chunk) => {
    let start = 0;
    let newline = chunk.indexOf(10);
    while (newline !== -1) {
      if (partial === null) {
        queue.push(chunk.subarray(start, newline));
      } else {
        partial.push(chunk.subarray(start, newline));
        queue.push(Buffer.concat(partial));
        partial = null;
      }
      start = newline + 1;
      newline = chunk.indexOf(10, start);
    }
    if (start < chunk.length) {
      if (partial === null) partial = [];
      partial.push(chunk.subarray(start));
    }
    pump();
  };

  const onEnd = () => {
    ended = true;
    pump();
  };

  let calls;
  try {
    calls = new net.Socket({ fd: CALLS_FD, readable: true, writable: false });
  } catch {
    calls = fs.createReadStream('', { fd: CALLS_FD, highWaterMark: 1 << 16 }); // fd 3 is a file
  }
  calls.on('data', onData);
  calls.on('end', onEnd);
  calls.on('error', onEnd);
}

// ---- loading ------------------------------------------------------------------------------------

async function loadHandler(spec) {
  const colon = spec.lastIndexOf(':');
  if (colon <= 0 || colon === spec.length - 1) {
    throw new Error(`BERTH_HANDLER must be FILE:FUNCTION, got "${spec}"`);
  }
  const file = spec.slice(0, colon);
  const name = spec.slice(colon + 1);
  const absolute = path.resolve(file);
  if (!fs.existsSync(absolute)) throw new Error(`handler file not found: ${file}`);
  const ns = await import(pathToFileURL(absolute).href);
  if (typeof ns[name] === 'function') return { fn: ns[name], owner: undefined };
  const fallback = ns.default;
  if (fallback !== null && fallback !== undefined && typeof fallback[name] === 'function') {
    return { fn: fallback[name], owner: fallback };
  }
  throw new Error(`${file} exports no function "${name}"`);
}

/** Settles once everything queued on stream has been written. */
function drained(stream) {
  return new Promise((resolve) => {
    if (stream.writableLength === 0) resolve();
    else stream.write('', () => resolve());
  });
}

async function main() {
  let handler;
  try {
    handler = await loadHandler(process.env.BERTH_HANDLER ?? '');
  } catch (err) {
    await Promise.all([drained(process.stdout), drained(process.stderr)]);
    writeLine(REPLIES_FD, errorReply(err));
    process.exit(1);
  }
  writeLine(REPLIES_FD, 'L\n');
  serve(handler);
}

main();
