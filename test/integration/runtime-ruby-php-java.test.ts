/**
 * The Ruby, PHP and Java function runtimes (stacks/runtimes/{ruby,php,java}) against
 * docs/function-runtimes.md §2, each inside its real stack images (berth/stack-<stack>:current,
 * built beforehand by `berth stacks build`; a missing image fails that stack's tests by name). The
 * runtime directory is mounted at /opt/berth/runtime — for Java a copy on which the test first ran
 * `build` inside the image, as the image build does — and a fixture package at /task/code.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  javaFixture,
  javaJarSource,
  phpFixture,
  type RuntimeFixture,
  rubyFixture,
} from '../support/runtime-fixtures-ruby-php-java.js';
import {
  type CallOutcome,
  type Reply,
  RuntimeSession,
  removeContainers,
  requireImage,
  type SessionOptions,
} from '../support/runtime-wire-session.js';

const RUNTIMES = resolve(import.meta.dirname, '../../stacks/runtimes');
const RUN = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const LABELS = { 'berth.test': 'runtime', 'berth.test-run': RUN };
const CALLS = 2000;

const STACKS: Array<{ stack: string; language: 'ruby' | 'php' | 'java'; fixture: RuntimeFixture }> = [
  { stack: 'ruby-3.1', language: 'ruby', fixture: rubyFixture },
  { stack: 'ruby-3.3', language: 'ruby', fixture: rubyFixture },
  { stack: 'php-8.2', language: 'php', fixture: phpFixture },
  { stack: 'php-8.4', language: 'php', fixture: phpFixture },
  { stack: 'java-17', language: 'java', fixture: javaFixture },
  { stack: 'java-21', language: 'java', fixture: javaFixture },
];

const scratch: string[] = [];
const sessions: RuntimeSession[] = [];

/** A fresh host directory readable by the container user (10001). */
function tempDir(tag: string): string {
  const dir = mkdtempSync(join(tmpdir(), `berth-rt-${tag}-`));
  chmodSync(dir, 0o755);
  scratch.push(dir);
  return dir;
}

function writeTree(root: string, files: Record<string, string>): void {
  for (const [rel, text] of Object.entries(files)) {
    const path = join(root, rel);
    mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
    writeFileSync(path, text, { mode: 0o644 });
  }
}

/** `docker run --rm` as the host user (so the test can remove what it writes); throws with the output. */
function dockerRun(args: string[]): void {
  const user = `${process.getuid?.() ?? 0}:${process.getgid?.() ?? 0}`;
  const all = ['run', '--rm', '--network', 'none', '--user', user];
  for (const [k, v] of Object.entries(LABELS)) all.push('--label', `${k}=${v}`);
  try {
    execFileSync('docker', [...all, ...args], { stdio: 'pipe' });
  } catch (e) {
    const err = e as { stdout?: Buffer; stderr?: Buffer };
    throw new Error(`docker ${args.join(' ')} failed: ${err.stdout ?? ''}${err.stderr ?? ''}`);
  }
}

/** A copy of stacks/runtimes/java on which `build` ran inside `image`, mounted where the image has it. */
function buildJavaRuntime(image: string): string {
  const dir = tempDir('java-runtime');
  cpSync(join(RUNTIMES, 'java'), dir, {
    recursive: true,
    filter: (src) => !/berth-runtime\.jar|berth\.jsa/.test(src),
  });
  dockerRun(['-v', `${dir}:/opt/berth/runtime`, '--entrypoint', '/opt/berth/runtime/build', image]);
  return dir;
}

/** Compiles com.acme.Lib against the runtime jar, inside `image`, into `codeDir`/lib/acme.jar. */
function buildFixtureJar(image: string, runtimeDir: string, codeDir: string): void {
  const src = tempDir('java-src');
  writeTree(src, javaJarSource);
  mkdirSync(join(codeDir, 'lib'), { recursive: true, mode: 0o755 });
  dockerRun([
    ...['-v', `${runtimeDir}:/opt/berth/runtime:ro`, '-v', `${src}:/src:ro`, '-v', `${codeDir}:/out`],
    ...['--entrypoint', 'java', image, '-cp', '/opt/berth/runtime/berth-runtime.jar'],
    ...['/opt/berth/runtime/Compile.java', '/src', '/out/lib/acme.jar'],
  ]);
  chmodSync(join(codeDir, 'lib', 'acme.jar'), 0o644);
}

const text = (r: Reply) => (r.type === 'R' ? r.value.toString('utf8') : undefined);

function expectValue(o: CallOutcome, kind: string, value: string | Buffer): void {
  const seen = o.reply.type === 'E' ? `E ${o.reply.message}\n${o.reply.stack}` : o.reply.type;
  expect(
    o.reply,
    `${seen}; stdout ${o.stdout.slice(0, 500)}; stderr ${o.stderr.slice(0, 500)}`,
  ).toMatchObject({
    type: 'R',
    kind,
  });
  if (o.reply.type === 'R') expect(o.reply.value).toEqual(Buffer.from(value));
}

afterEach(() => {
  for (const s of sessions.splice(0)) s.kill();
});

afterAll(() => {
  expect(removeContainers(LABELS)).toEqual([]);
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

describe.each(STACKS)('$stack function runtime', ({ stack, language, fixture }) => {
  const image = `berth/stack-${stack}:current`;
  let runtimeDir = '';
  let codeDir = '';

  function start(handler: string, over: Partial<SessionOptions> = {}): RuntimeSession {
    const s = RuntimeSession.start({ image, runtimeDir, codeDir, handler, labels: LABELS, ...over });
    sessions.push(s);
    return s;
  }

  /** A session whose handler loaded (asserted). */
  async function loaded(handler: string, over: Partial<SessionOptions> = {}): Promise<RuntimeSession> {
    const s = start(handler, over);
    const { reply } = await s.loaded();
    expect(reply, `loading ${handler}`).toEqual({ type: 'L' });
    return s;
  }

  beforeAll(() => {
    requireImage(image);
    codeDir = tempDir(`${stack}-code`);
    writeTree(codeDir, fixture.files);
    if (language === 'java') {
      runtimeDir = buildJavaRuntime(image);
      buildFixtureJar(image, runtimeDir, codeDir);
    } else {
      runtimeDir = join(RUNTIMES, language);
    }
  });

  it('loads the handler, maps every value kind and attributes stdout/stderr per call', async () => {
    const s = await loaded(fixture.main);
    const bytes = Buffer.from([0, 1, 255]);
    const b = await s.call('bytes');
    expectValue(b, fixture.echoKind, bytes);
    expect([b.stdout, b.stderr]).toEqual(['out:bytes\n', 'err:bytes\n']);
    expectValue(await s.call('string'), 'string', 'héllo');
    expectValue(await s.call('null'), 'null', '');
    const j = await s.call('json');
    expect(j.reply.type === 'R' && j.reply.kind).toBe('json');
    expect(JSON.parse(text(j.reply) ?? '')).toEqual({ a: [1, 2.5, true, 'x'], b: null });
    expectValue(await s.call('helper'), 'string', 'ABC');
    const e = await s.call('echo ü');
    expectValue(e, fixture.echoKind, 'echo ü');
    expect([e.stdout, e.stderr]).toEqual(['out:echo ü\n', 'err:echo ü\n']);
    const big = `q${'x'.repeat(1 << 20)}`; // a 1 MiB payload, 1.4 MB on the wire each way
    expectValue(await s.call(big), fixture.echoKind, big);
    expect(await s.close()).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('answers E for a thrown error and an unserialisable value, then serves the next call', async () => {
    const s = await loaded(fixture.main);
    const t = await s.call('throw');
    expect(t.reply.type, JSON.stringify(t)).toBe('E');
    if (t.reply.type === 'E') {
      expect(t.reply.message).toMatch(fixture.thrown);
      expect(t.reply.stack).toContain(fixture.stackFile);
    }
    expect([t.stdout, t.stderr]).toEqual(['out:throw\n', 'err:throw\n']);
    expectValue(await s.call('string'), 'string', 'héllo');
    const n = await s.call('nan');
    expect(n.reply.type, JSON.stringify(n)).toBe('E');
    if (n.reply.type === 'E') expect(n.reply.message).toMatch(/NaN|serialis/i);
    expectValue(await s.call('string'), 'string', 'héllo');
    expect((await s.close()).code).toBe(0);
  });

  it('passes the context of each call and keeps globals between calls', async () => {
    const s = await loaded(fixture.main);
    const deadlineMs = Date.now() + 60_000;
    const labels = { region: 'eu-west', 'clé ü': 'välue, with: separators', empty: '' };
    const c = await s.call('ctx', { taskId: 'task-ä-7', attempt: 3, labels, deadlineMs });
    const ctx = JSON.parse(text(c.reply) ?? 'null') as Record<string, unknown>;
    expect(ctx).toMatchObject({ taskId: 'task-ä-7', attempt: 3, labels, deadlineMs });
    expect(ctx.remainingMs).toBeGreaterThan(50_000);
    expect(ctx.remainingMs).toBeLessThanOrEqual(60_000);
    const past = await s.call('ctx', { deadlineMs: Date.now() - 5_000 });
    expect(JSON.parse(text(past.reply) ?? 'null')).toMatchObject({
      taskId: 'task-1',
      attempt: 1,
      remainingMs: 0,
    });
    const counts = [];
    for (let i = 0; i < 3; i++) counts.push(text((await s.call('count')).reply));
    expect(counts).toEqual(['1', '2', '3']);
    await s.close();
  });

  it('writes the marker on stdout and on stderr before the reply', async () => {
    // The stdout case is covered by every call above (fd 1 shares the reply stream); here fd 2 does.
    const s = await loaded(fixture.main, { merged: 'stderr' });
    for (const p of ['string', 'throw', 'null']) {
      const o = await s.call(p);
      expect([o.stdout, o.stderr]).toEqual([`out:${p}\n`, `err:${p}\n`]);
    }
    expect(await s.close()).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('loads the other handler forms', async () => {
    for (const [handler, payload, value] of fixture.forms) {
      const s = await loaded(handler);
      expectValue(await s.call(payload), 'string', value);
      expect((await s.close()).code).toBe(0);
    }
  });

  it('answers E and exits 1 when the handler cannot be loaded', async () => {
    const cases: Array<[string, RegExp]> = [
      [fixture.missingFunction, /missing/],
      [fixture.missingFile, /not found/],
      fixture.broken,
    ];
    for (const [handler, message] of cases) {
      const s = start(handler);
      const { reply } = await s.loaded();
      expect(reply.type, `${handler}: ${JSON.stringify(reply)}`).toBe('E');
      if (reply.type === 'E') expect(`${reply.message}\n${reply.stack}`, handler).toMatch(message);
      expect((await s.close()).code, handler).toBe(1);
    }
  });

  it(`serves ${CALLS} calls one at a time (rates printed, not asserted)`, async () => {
    const started = performance.now();
    const s = await loaded(fixture.main);
    const loadMs = performance.now() - started;
    // Sequential: each call written after the previous reply (a docker attach round trip per call).
    let t0 = performance.now();
    for (let i = 0; i < CALLS; i++) {
      const { reply } = await s.reply(s.send(`q${i}`));
      if (reply.type !== 'R') throw new Error(`call ${i}: ${JSON.stringify(reply)}`);
    }
    const sequential = CALLS / ((performance.now() - t0) / 1000);
    // Queued: all calls written at once; the runtime still serves them one at a time, so this is
    // its own per-call cost without the round trip.
    t0 = performance.now();
    const markers = Array.from({ length: CALLS }, (_, i) => s.send(`q${i}`));
    for (const m of markers) {
      const { reply } = await s.reply(m);
      if (reply.type !== 'R') throw new Error(`queued call: ${JSON.stringify(reply)}`);
    }
    const queued = CALLS / ((performance.now() - t0) / 1000);
    console.log(
      `[runtime ${stack}] start+load ${Math.round(loadMs)} ms; ${CALLS} calls: ` +
        `${Math.round(sequential)} calls/s sequential through docker attach, ${Math.round(queued)} calls/s queued`,
    );
    expect((await s.close()).code).toBe(0);
  });
});
