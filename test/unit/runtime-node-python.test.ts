import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

/**
 * The Node and Python function runtimes (stacks/runtimes/{node,python}) run on the host through
 * their `start` script, spoken to over fd 3 (calls) and fd 4 (replies) as the launcher does
 * (docs/function-runtimes.md §2).
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const HAS_PYTHON = spawnSync('python3', ['-c', 'import sys'], { stdio: 'ignore' }).status === 0;

// ---- fixtures -------------------------------------------------------------------------------

const NODE_HANDLER = `
export function handle(payload, ctx) {
  switch (payload.toString('utf8')) {
    case 'bytes': return Buffer.from([0, 1, 2, 255]);
    case 'uint8': return new Uint8Array([9, 8, 7]);
    case 'string': return 'héllo ✓';
    case 'json': return { a: 1, b: [true, null, 'x'] };
    case 'number': return 42;
    case 'null': return null;
    case 'none': return undefined;
    case 'unserialisable': return { n: 10n };
    case 'throw': throw new RangeError('bad amount');
    case 'throw-value': throw 'plain value';
    case 'reject': return Promise.reject(new Error('later'));
    case 'promise': return Promise.resolve('resolved');
    case 'context':
      return { taskId: ctx.taskId, attempt: ctx.attempt, labels: ctx.labels, deadlineMs: ctx.deadlineMs, remainingMs: ctx.remainingMs() };
    case 'logs':
      console.log('out-1');
      console.error('err-1');
      process.stdout.write('out-2\\n');
      return 'logged';
    case 'big-log': process.stdout.write('x'.repeat(300000)); return 'done';
    case 'count': globalThis.count = (globalThis.count ?? 0) + 1; return globalThis.count;
    case 'exit': process.exit(7);
    default: return payload;
  }
}

export async function handleAsync(payload, ctx) {
  await new Promise((resolve) => setTimeout(resolve, 5));
  return 'async:' + payload.toString('utf8') + ':' + ctx.attempt;
}
`;

const PYTHON_HANDLER = `
import asyncio
import sys

from helper import PREFIX

count = 0


def handle(payload, ctx):
    global count
    cmd = payload.decode("utf-8", "replace")
    if cmd == "bytes":
        return bytes([0, 1, 2, 255])
    if cmd == "bytearray":
        return bytearray(b"\\x09\\x08\\x07")
    if cmd == "memoryview":
        return memoryview(b"mv")
    if cmd == "string":
        return "héllo ✓"
    if cmd == "json":
        return {"a": 1, "b": [True, None, "x"]}
    if cmd == "number":
        return 42
    if cmd in ("null", "none"):
        return None
    if cmd == "unserialisable":
        return {1, 2}
    if cmd == "throw":
        raise ValueError("bad amount")
    if cmd == "context":
        return {"taskId": ctx.task_id, "attempt": ctx.attempt, "labels": ctx.labels,
                "deadlineMs": ctx.deadline_ms, "remainingMs": ctx.remaining_ms()}
    if cmd == "logs":
        print("out-1")
        print("err-1", file=sys.stderr)
        sys.stdout.write("out-2\\n")
        return "logged"
    if cmd == "big-log":
        sys.stdout.write("x" * 300000)
        return "done"
    if cmd == "count":
        count += 1
        return count
    if cmd == "prefix":
        return PREFIX
    if cmd == "exit":
        sys.exit(7)
    return payload


async def handle_async(payload, ctx):
    await asyncio.sleep(0.005)
    return "async:" + payload.decode() + ":" + str(ctx.attempt)
`;

interface Lang {
  name: 'node' | 'python';
  available: boolean;
  files: Record<string, string>;
  handler: string;
  asyncHandler: string;
  missingFunction: string;
  missingFile: string;
  syntaxError: string;
  thrown: string;
  unserialisable: RegExp;
}

const LANGS: Lang[] = [
  {
    name: 'node',
    available: true,
    files: {
      'handler.mjs': NODE_HANDLER,
      'bad.mjs': 'export function handle( {\n',
      'common.cjs': 'exports.handle = (payload) => "cjs:" + payload.toString();\n',
      'plain.js': 'module.exports = { handle: (payload) => "js:" + payload.toString() };\n',
      'object.mjs': 'export default { prefix: "obj:", handle(payload) { return this.prefix + payload; } };\n',
    },
    handler: 'handler.mjs:handle',
    asyncHandler: 'handler.mjs:handleAsync',
    missingFunction: 'handler.mjs:nope',
    missingFile: 'nope.mjs:handle',
    syntaxError: 'bad.mjs:handle',
    thrown: 'RangeError: bad amount',
    unserialisable: /BigInt/,
  },
  {
    name: 'python',
    available: HAS_PYTHON,
    files: {
      'app.py': PYTHON_HANDLER,
      'helper.py': 'PREFIX = "from-helper"\n',
      'bad.py': 'def handle(payload, ctx)\n    return 1\n',
      'pkg/__init__.py': '',
      'pkg/util.py': 'SUFFIX = "!"\n',
      'pkg/nested.py':
        'from .util import SUFFIX\n\ndef handle(payload, ctx):\n    return "nested" + SUFFIX\n',
    },
    handler: 'app.py:handle',
    asyncHandler: 'app.py:handle_async',
    missingFunction: 'app.py:nope',
    missingFile: 'nope.py:handle',
    syntaxError: 'bad.py:handle',
    thrown: 'ValueError: bad amount',
    unserialisable: /TypeError: Object of type set is not JSON serializable/,
  },
];

// ---- harness ------------------------------------------------------------------------------

type Reply =
  | { type: 'L' }
  | { type: 'R'; kind: string; value: Buffer }
  | { type: 'E'; message: string; stack: string };

interface Call {
  taskId?: string;
  attempt?: number;
  deadlineMs?: number;
  labels?: Record<string, string>;
  payload?: Buffer | string;
}

const b64 = (v: Buffer | string): string => Buffer.from(v).toString('base64');
const unb64 = (v: string): string => Buffer.from(v, 'base64').toString('utf8');

/** One call line as the launcher writes it; returns the line and the marker as written on fd 1/2. */
function callLine(call: Call): { line: string; marker: Buffer } {
  const hex = randomBytes(16).toString('hex');
  const labels = Object.entries(call.labels ?? {})
    .map(([k, v]) => `${b64(k)}:${b64(v)}`)
    .join(',');
  const fields = [
    'C',
    b64(call.taskId ?? 'task-1'),
    String(call.attempt ?? 1),
    String(call.deadlineMs ?? Date.now() + 60_000),
    labels,
    b64(call.payload ?? ''),
    hex,
  ];
  return { line: `${fields.join('\t')}\n`, marker: Buffer.from(`\x1e${hex}\x1e`, 'latin1') };
}

function parseReply(line: string): Reply {
  const f = line.split('\t');
  if (f[0] === 'L' && f.length === 1) return { type: 'L' };
  if (f[0] === 'R' && f.length === 3)
    return { type: 'R', kind: f[1] ?? '', value: Buffer.from(f[2] ?? '', 'base64') };
  if (f[0] === 'E' && f.length === 3)
    return { type: 'E', message: unb64(f[1] ?? ''), stack: unb64(f[2] ?? '') };
  throw new Error(`malformed reply line: ${JSON.stringify(line)}`);
}

/** Accumulates a stream's bytes; `until` takes everything before a marker. */
class Capture {
  private buf: Buffer = Buffer.alloc(0);
  private wake: (() => void) | null = null;
  ended = false;

  constructor(stream: Readable) {
    stream.on('data', (chunk: Buffer) => {
      this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
      this.wake?.();
    });
    stream.on('end', () => {
      this.ended = true;
      this.wake?.();
    });
  }

  get text(): string {
    return this.buf.toString('utf8');
  }

  clear(): void {
    this.buf = Buffer.alloc(0);
  }

  /** Resolves with the bytes before `marker` (dropping them and the marker). */
  async until(marker: Buffer, timeoutMs = 3000): Promise<string> {
    const giveUp = Date.now() + timeoutMs;
    for (;;) {
      const at = this.buf.indexOf(marker);
      if (at >= 0) {
        const before = this.buf.subarray(0, at).toString('utf8');
        this.buf = this.buf.subarray(at + marker.length);
        return before;
      }
      if (this.ended || Date.now() > giveUp) throw new Error(`no marker; got ${JSON.stringify(this.text)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 50);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = null;
    }
  }
}

/** Splits a stream into lines, handed out in order. */
class Lines {
  private pending: string[] = [];
  private waiters: Array<(line: string | null) => void> = [];
  private partial = '';
  private ended = false;

  constructor(stream: Readable) {
    stream.setEncoding('latin1');
    stream.on('data', (chunk: string) => {
      const parts = (this.partial + chunk).split('\n');
      this.partial = parts.pop() ?? '';
      for (const line of parts) {
        const waiter = this.waiters.shift();
        if (waiter) waiter(line);
        else this.pending.push(line);
      }
    });
    stream.on('end', () => {
      this.ended = true;
      for (const waiter of this.waiters.splice(0)) waiter(null);
    });
  }

  /** The next line, or null once the stream ended. */
  next(): Promise<string | null> {
    const line = this.pending.shift();
    if (line !== undefined) return Promise.resolve(line);
    if (this.ended) return Promise.resolve(null);
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}

const running = new Set<ChildProcess>();

class Runtime {
  readonly replies: Lines;
  readonly stdout: Capture;
  readonly stderr: Capture;
  readonly exited: Promise<{ code: number | null; signal: string | null }>;
  private readonly calls: Writable;

  constructor(child: ChildProcess) {
    running.add(child);
    this.calls = child.stdio[3] as Writable;
    this.calls.on('error', () => {}); // EPIPE after the runtime exited
    this.replies = new Lines(child.stdio[4] as Readable);
    this.stdout = new Capture(child.stdout as Readable);
    this.stderr = new Capture(child.stderr as Readable);
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        running.delete(child);
        resolve({ code, signal });
      });
    });
  }

  static start(lang: Lang, cwd: string, handler: string): Runtime {
    const start = path.join(ROOT, 'stacks/runtimes', lang.name, 'start');
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cwd, BERTH_HANDLER: handler };
    return new Runtime(spawn(start, [], { cwd, env, stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'] }));
  }

  async reply(): Promise<Reply> {
    const line = await this.replies.next();
    if (line === null) throw new Error('fd 4 ended without a reply');
    return parseReply(line);
  }

  /** Starts a runtime and expects its L line. */
  static async loaded(lang: Lang, cwd: string, handler: string): Promise<Runtime> {
    const rt = Runtime.start(lang, cwd, handler);
    expect(await rt.reply()).toEqual({ type: 'L' });
    return rt;
  }

  send(call: Call): Buffer {
    const { line, marker } = callLine(call);
    this.calls.write(line);
    return marker;
  }

  /** One call: its reply and the stdout/stderr before its markers. */
  async call(call: Call): Promise<{ reply: Reply; stdout: string; stderr: string }> {
    const marker = this.send(call);
    const reply = await this.reply();
    const [stdout, stderr] = await Promise.all([this.stdout.until(marker), this.stderr.until(marker)]);
    return { reply, stdout, stderr };
  }

  async value(payload: string | Buffer, call: Call = {}): Promise<Reply> {
    return (await this.call({ ...call, payload })).reply;
  }

  endCalls(): void {
    this.calls.end();
  }
}

/** A reply R of that kind whose value decodes to `value`. */
function r(kind: string, value: Buffer | string): Reply {
  return { type: 'R', kind, value: Buffer.from(value) };
}

// ---- tests --------------------------------------------------------------------------------

afterEach(() => {
  for (const child of running) child.kill('SIGKILL');
});

describe.each(LANGS)('$name runtime', (lang) => {
  let dir = '';

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), `berth-runtime-${lang.name}-`));
    for (const [file, text] of Object.entries(lang.files)) {
      mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      writeFileSync(path.join(dir, file), text);
    }
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  describe.skipIf(!lang.available)('with the interpreter present', () => {
    it('loads the handler (L) and exits 0 when fd 3 ends', async () => {
      const rt = await Runtime.loaded(lang, dir, lang.handler);
      rt.endCalls();
      expect(await rt.exited).toEqual({ code: 0, signal: null });
    });

    it.each([
      ['missing file', 'missingFile', /handler file not found: nope\./],
      ['missing function', 'missingFunction', /nope/],
      ['syntax error', 'syntaxError', /SyntaxError/],
    ] as const)('reports a load error (%s) as E and exits 1', async (_what, key, message) => {
      const rt = Runtime.start(lang, dir, lang[key]);
      const reply = await rt.reply();
      expect(reply.type).toBe('E');
      if (reply.type === 'E') expect(reply.message).toMatch(message);
      expect((await rt.exited).code).toBe(1);
    });

    it('reports a malformed BERTH_HANDLER as a load error', async () => {
      const rt = Runtime.start(lang, dir, 'no-colon');
      expect(await rt.reply()).toMatchObject({ type: 'E', message: expect.stringMatching(/FILE:FUNCTION/) });
      expect((await rt.exited).code).toBe(1);
    });

    it('maps each value kind: bytes, string, json, null', async () => {
      const rt = await Runtime.loaded(lang, dir, lang.handler);
      expect(await rt.value('bytes')).toEqual(r('bytes', Buffer.from([0, 1, 2, 255])));
      expect(await rt.value('string')).toEqual(r('string', 'héllo ✓'));
      expect(await rt.value('json')).toEqual(r('json', '{"a":1,"b":[true,null,"x"]}'));
      expect(await rt.value('number')).toEqual(r('json', '42'));
      expect(await rt.value('null')).toEqual(r('null', ''));
      expect(await rt.value('none')).toEqual(r('null', ''));
      if (lang.name === 'node') {
        expect(await rt.value('uint8')).toEqual(r('bytes', Buffer.from([9, 8, 7])));
        expect(await rt.value('promise')).toEqual(r('string', 'resolved'));
      } else {
        expect(await rt.value('bytearray')).toEqual(r('bytes', Buffer.from([9, 8, 7])));
        expect(await rt.value('memoryview')).toEqual(r('bytes', 'mv'));
      }
    });

    it('replies E for a value JSON cannot serialise and keeps serving', async () => {
      const rt = await Runtime.loaded(lang, dir, lang.handler);
      expect(await rt.value('unserialisable')).toMatchObject({
        type: 'E',
        message: expect.stringMatching(lang.unserialisable),
      });
      expect(await rt.value('string')).toEqual(r('string', 'héllo ✓'));
    });

    it('replies E with message and stack for a thrown error, then serves the next call', async () => {
      const rt = await Runtime.loaded(lang, dir, lang.handler);
      const reply = await rt.value('throw');
      expect(reply).toMatchObject({ type: 'E', message: lang.thrown });
      if (reply.type === 'E') {
        expect(reply.stack).toContain(lang.name === 'node' ? 'handler.mjs' : 'app.py');
        expect(reply.stack).not.toContain(lang.name === 'node' ? 'runtime.mjs' : 'berth_runtime.py');
      }
      expect(await rt.value('json')).toEqual(r('json', '{"a":1,"b":[true,null,"x"]}'));
      if (lang.name === 'node') {
        expect(await rt.value('reject')).toMatchObject({ type: 'E', message: 'Error: later' });
        expect(await rt.value('throw-value')).toMatchObject({ type: 'E', message: 'plain value', stack: '' });
      }
    });

    it('awaits an async handler', async () => {
      const rt = await Runtime.loaded(lang, dir, lang.asyncHandler);
      expect(await rt.value('a', { attempt: 3 })).toEqual(r('string', 'async:a:3'));
      expect(await rt.value('b', { attempt: 4 })).toEqual(r('string', 'async:b:4'));
    });

    it('passes the context: task id, attempt, decoded labels, deadline and remaining ms', async () => {
      const rt = await Runtime.loaded(lang, dir, lang.handler);
      const deadlineMs = Date.now() + 30_000;
      const labels = { team: 'payments', ключ: 'значение ✓', 'a:b,c': 'x,y:z=', empty: '' };
      const reply = await rt.value('context', { taskId: 'tâsk-42', attempt: 2, deadlineMs, labels });
      expect(reply).toMatchObject({ type: 'R', kind: 'json' });
      const ctx = JSON.parse(reply.type === 'R' ? reply.value.toString('utf8') : 'null');
      expect(ctx).toMatchObject({ taskId: 'tâsk-42', attempt: 2, deadlineMs, labels });
      expect(ctx.remainingMs).toBeGreaterThan(20_000);
      expect(ctx.remainingMs).toBeLessThanOrEqual(30_000);

      const none = await rt.value('context', { labels: {}, deadlineMs: Date.now() - 5 });
      expect(JSON.parse(none.type === 'R' ? none.value.toString('utf8') : 'null')).toMatchObject({
        labels: {},
        remainingMs: 0,
      });
    });

    it('attributes each call its own stdout/stderr, ended by the marker on both streams', async () => {
      const rt = await Runtime.loaded(lang, dir, lang.handler);
      const first = await rt.call({ payload: 'logs' });
      expect(first).toEqual({ reply: r('string', 'logged'), stdout: 'out-1\nout-2\n', stderr: 'err-1\n' });
      const second = await rt.call({ payload: 'string' });
      expect(second).toEqual({ reply: r('string', 'héllo ✓'), stdout: '', stderr: '' });
      const big = await rt.call({ payload: 'big-log' }); // more than a pipe holds
      expect(big.stdout).toBe('x'.repeat(300000));
      expect(big.reply).toEqual(r('string', 'done'));
    });

    it('writes the markers to fd 1 and fd 2 before the reply on fd 4', async () => {
      // fd 1, fd 2 and fd 4 share one pipe, so its bytes show the order of the writes.
      const start = path.join(ROOT, 'stacks/runtimes', lang.name, 'start');
      const child = spawn('sh', ['-c', 'exec "$0" 2>&1 4>&1', start], {
        cwd: dir,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, BERTH_HANDLER: lang.handler },
        stdio: ['ignore', 'pipe', 'ignore', 'pipe', 'ignore'],
      });
      running.add(child);
      const merged = new Capture(child.stdout as Readable);
      const { line, marker } = callLine({ payload: 'logs' });
      (child.stdio[3] as Writable).write(line);
      const mk = marker.toString('latin1');
      const reply = `R\tstring\t${b64('logged')}\n`;
      const giveUp = Date.now() + 5000;
      while (!merged.text.endsWith(reply) && Date.now() < giveUp) await new Promise((r) => setTimeout(r, 10));
      const text = merged.text;
      expect(text.startsWith('L\n')).toBe(true);
      expect(text.endsWith(`${mk}${mk}${reply}`)).toBe(true);
      // Python's stdout is block-buffered and its stderr line-buffered: only the set of lines is fixed.
      const output = text.slice(2, text.length - 2 * mk.length - reply.length);
      expect(output.split('\n').sort()).toEqual(['', 'err-1', 'out-1', 'out-2']);
      child.kill('SIGKILL');
    });

    it('round-trips a 64 KiB payload (a call line longer than one read)', async () => {
      const rt = await Runtime.loaded(lang, dir, lang.handler);
      const payload = randomBytes(64 * 1024);
      const reply = await rt.value(payload);
      expect(reply).toMatchObject({ type: 'R', kind: 'bytes' });
      expect(reply.type === 'R' && reply.value.equals(payload)).toBe(true); // not toEqual: slow on 64 KiB
      expect(await rt.value('string')).toEqual(r('string', 'héllo ✓'));
    });

    it('keeps globals between calls of one runtime', async () => {
      const rt = await Runtime.loaded(lang, dir, lang.handler);
      expect(await rt.value('count')).toEqual(r('json', '1'));
      expect(await rt.value('count')).toEqual(r('json', '2'));
    });

    it('ends the process when the handler exits (no reply)', async () => {
      const rt = await Runtime.loaded(lang, dir, lang.handler);
      rt.send({ payload: 'exit' });
      expect(await rt.exited).toEqual({ code: 7, signal: null });
      expect(await rt.replies.next()).toBeNull();
    });

    it('serves queued (pipelined) calls one at a time in order', async () => {
      const rt = await Runtime.loaded(lang, dir, lang.asyncHandler);
      const markers = ['1', '2', '3'].map((p) => rt.send({ payload: p }));
      for (const [i, marker] of markers.entries()) {
        expect(await rt.reply()).toEqual(r('string', `async:${i + 1}:1`));
        expect(await rt.stdout.until(marker)).toBe('');
      }
    });

    it('measures sequential round trips (printed, not asserted)', async () => {
      const rt = await Runtime.loaded(lang, dir, lang.handler);
      const payload = Buffer.from('{"amount":12.5,"currency":"EUR"}');
      const n = 20_000;
      const started = process.hrtime.bigint();
      for (let i = 0; i < n; i++) {
        rt.send({ taskId: `t-${i}`, payload, labels: { k: 'v' } });
        const reply = await rt.reply();
        if (reply.type !== 'R') throw new Error(`call ${i} failed: ${JSON.stringify(reply)}`);
        rt.stdout.clear();
        rt.stderr.clear();
      }
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      console.log(
        `${lang.name} runtime: ${n} sequential calls in ${seconds.toFixed(2)} s = ${Math.round(n / seconds)} calls/s`,
      );
    }, 120_000);
  });
});

describe('node runtime module formats', () => {
  let dir = '';
  const node = LANGS[0] as Lang;

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'berth-runtime-formats-'));
    for (const [file, text] of Object.entries(node.files)) writeFileSync(path.join(dir, file), text);
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it.each([
    ['CJS exports.name (.cjs)', 'common.cjs:handle', 'cjs:p'],
    ['CJS module.exports (.js)', 'plain.js:handle', 'js:p'],
    ['ESM default export object, called as its method', 'object.mjs:handle', 'obj:p'],
  ])('loads %s', async (_what, handler, expected) => {
    const rt = await Runtime.loaded(node, dir, handler);
    expect(await rt.value('p')).toEqual(r('string', expected));
  });
});

describe.skipIf(!HAS_PYTHON)('python runtime packages', () => {
  let dir = '';
  const python = LANGS[1] as Lang;

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'berth-runtime-packages-'));
    for (const [file, text] of Object.entries(python.files)) {
      mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      writeFileSync(path.join(dir, file), text);
    }
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('imports the package’s own modules from the code directory', async () => {
    const rt = await Runtime.loaded(python, dir, 'app.py:handle');
    expect(await rt.value('prefix')).toEqual(r('string', 'from-helper'));
  });

  it('loads a handler inside a package, with its relative imports', async () => {
    const rt = await Runtime.loaded(python, dir, 'pkg/nested.py:handle');
    expect(await rt.value('')).toEqual(r('string', 'nested!'));
  });
});
