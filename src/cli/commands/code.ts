import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { codeRecordKey, newestByName } from '../../code/code-ports.js';
import { PushError, pushCodePackage } from '../../code/code-push.js';
import type { CodePackage } from '../../domain/code-package.js';
import { KafkaCodeTopic } from '../../kafka/code-topic.js';
import { parseStackManifest } from '../../stacks/stack-manifest.js';
import { defaultStacksRoot } from '../../stacks/stacks-root.js';
import { EXIT, parseFlags, withSession } from '../cli-session.js';
import { type Command, UsageError } from '../command.js';

const help = `usage: berth code push DIR | list | show NAME[@REV]   [--json]

  push DIR         pack DIR (must hold berth.json) into a reproducible tar and publish it as the
                   next revision of its package; prints "unchanged" when the newest revision has
                   the same sha256 digest
  list             every package with its newest revision
  show NAME[@REV]  manifest, digest and files size of a revision (default: the newest)

berth.json fields: name, stack, command (argv) or entry (file run via the stack's run template),
timeoutMs (<= 3600000), memoryBytes, env, network, maxAttempts, retryDelayMs, maxConcurrency,
isolation (FRESH|HOT), handler, secrets (names only; values come from each worker's host).
See docs/code-packages.md.

exit codes: 0 ok, 1 failed (package too big, unknown package), 2 usage or invalid package,
3 broker unreachable. Environment: BERTH_KAFKA_BROKERS, BERTH_TOPIC_PREFIX, BERTH_STACKS_DIR.`;

/** The stack's run template from `stacks/<stack>/stack.json`, or null when not found or invalid. */
async function runTemplate(stack: string): Promise<readonly string[] | null> {
  try {
    const text = await readFile(join(defaultStacksRoot(), stack, 'stack.json'), 'utf8');
    const parsed = parseStackManifest(text, stack);
    return parsed.ok ? parsed.value.run : null;
  } catch {
    return null;
  }
}

function summary(p: CodePackage): Record<string, unknown> {
  return {
    name: p.name,
    revision: p.revision,
    digest: p.digest,
    tarballBytes: p.tarball.byteLength,
    createdAt: new Date(p.createdAtMs).toISOString(),
    manifest: p.manifest,
  };
}

function parseRef(ref: string): { name: string; revision: number | null } {
  const m = /^(.+?)(?:@(\d+))?$/.exec(ref);
  if (!m?.[1]) throw new UsageError(`'${ref}' is not NAME or NAME@REV`);
  return { name: m[1], revision: m[2] === undefined ? null : Number(m[2]) };
}

const code: Command = {
  name: 'code',
  summary: 'push, list and show code packages',
  help,
  async run(argv) {
    const { values, positionals } = parseFlags([...argv], { json: { type: 'boolean' } });
    const [action, arg, ...extra] = positionals;
    if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`);
    if (action === 'push' && arg === undefined) throw new UsageError('push needs a DIR');
    if (action === 'show' && arg === undefined) throw new UsageError('show needs NAME[@REV]');
    if (action !== 'push' && action !== 'list' && action !== 'show')
      throw new UsageError(`expected push, list or show, got '${action ?? ''}'`);
    return withSession('code', async (s) => {
      const topic = new KafkaCodeTopic({ kafka: s.kafka, topic: s.topics.code, brokers: s.brokers });
      try {
        if (action === 'push') return await push(arg as string, topic, s.progress, values.json === true);
        const all = await topic.readAll();
        if (action === 'list') return list(all, values.json === true);
        return show(all, parseRef(arg as string), values.json === true);
      } finally {
        await topic.close();
      }
    });
  },
};

async function push(
  dir: string,
  topic: KafkaCodeTopic,
  progress: (l: string) => void,
  json: boolean,
): Promise<number> {
  try {
    const out = await pushCodePackage({ dir, topic, runTemplate, progress });
    const ref = codeRecordKey(out.pkg.name, out.pkg.revision);
    if (json) console.log(JSON.stringify({ result: out.kind, ...summary(out.pkg) }));
    else
      console.log(
        out.kind === 'unchanged'
          ? `${ref} unchanged (${out.pkg.digest})`
          : `${ref} published (${out.pkg.digest}, ${out.bytes} bytes)`,
      );
    return EXIT.ok;
  } catch (err) {
    if (!(err instanceof PushError)) throw err;
    // An invalid package is the caller's input (2); one too big for the topic is a failed push (1).
    throw new UsageError(err.message, /max\.message\.bytes/.test(err.message) ? EXIT.failed : EXIT.usage);
  }
}

function list(all: readonly CodePackage[], json: boolean): number {
  const newest = [...newestByName(all).values()].sort((a, b) => a.name.localeCompare(b.name));
  if (json) console.log(JSON.stringify(newest.map(summary)));
  else if (newest.length === 0) console.log('no code packages');
  else
    for (const p of newest)
      console.log(
        `${p.name}@${p.revision}  ${p.manifest.stack}  ${p.digest.slice(0, 19)}  ${new Date(p.createdAtMs).toISOString()}`,
      );
  return EXIT.ok;
}

function show(
  all: readonly CodePackage[],
  ref: { name: string; revision: number | null },
  json: boolean,
): number {
  const revisions = all.filter((p) => p.name === ref.name).sort((a, b) => a.revision - b.revision);
  const pkg = ref.revision === null ? revisions.at(-1) : revisions.find((p) => p.revision === ref.revision);
  if (!pkg) {
    const known = revisions.map((p) => p.revision).join(', ');
    throw new UsageError(
      revisions.length === 0
        ? `unknown code package '${ref.name}'`
        : `'${ref.name}' has no revision ${ref.revision} (known: ${known})`,
      EXIT.failed,
    );
  }
  if (json) {
    console.log(JSON.stringify({ ...summary(pkg), revisions: revisions.map((p) => p.revision) }));
    return EXIT.ok;
  }
  const m = pkg.manifest;
  console.log(
    [
      `${pkg.name}@${pkg.revision}  (revisions: ${revisions.map((p) => p.revision).join(', ')})`,
      `digest       ${pkg.digest}`,
      `size         ${pkg.tarball.byteLength} bytes (tar)`,
      `pushed       ${new Date(pkg.createdAtMs).toISOString()}`,
      `stack        ${m.stack}`,
      `command      ${JSON.stringify(m.command)}`,
      `timeout      ${m.timeoutMs} ms, memory ${m.memoryBytes} bytes, network ${m.network ? 'on' : 'off'}`,
      `attempts     ${m.maxAttempts} (retry delay ${m.retryDelayMs} ms), concurrency ${m.maxConcurrency || 'unlimited'}, isolation ${m.isolation}`,
      `env          ${
        Object.keys(m.env).length === 0
          ? '-'
          : Object.entries(m.env)
              .map(([k, v]) => `${k}=${v}`)
              .join(' ')
      }`,
      `secrets      ${
        m.secrets.length === 0
          ? '-'
          : m.secrets.map((s) => (s.as === 'file' ? `${s.name} (file)` : s.name)).join(' ')
      }  (names only: values never leave the workers' hosts)`,
    ].join('\n'),
  );
  return EXIT.ok;
}

export default code;
