import { parseArgs } from 'node:util';
import { loadHostDirs } from '../../config/host-dirs.js';
import { DockerImageStore } from '../../containers/image-store.js';
import { addCustomImage } from '../../stacks/custom-image.js';
import { buildStacks } from '../../stacks/stack-builder.js';
import { type Inventory, readInventory } from '../../stacks/stack-inventory.js';
import { verifyStack } from '../../stacks/stack-verifier.js';
import { defaultStacksRoot, readStacksTree } from '../../stacks/stacks-root.js';
import { type Command, UsageError } from '../command.js';

const HELP = `usage: berth stacks <subcommand> [options]

subcommands:
  build [name...]        build the bases and the named stacks (all when none), skipping unchanged ones
  list [--json]          built stacks: image id, size, own diff over the base, built-at; and totals
  verify [name...]       run each stack's smoke test under the task security limits, check its version
  add-image NAME IMAGE   check a local image against the container contract and tag it as a stack
                         [--language L] [--version V] [--smoke-command CMD --expect REGEX]

options:
  --root DIR             stacks directory (default: the repository's stacks/, or BERTH_STACKS_DIR)`;

function parse(argv: readonly string[]) {
  try {
    return parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        root: { type: 'string' },
        json: { type: 'boolean', default: false },
        language: { type: 'string', default: 'custom' },
        version: { type: 'string', default: 'custom' },
        'smoke-command': { type: 'string' },
        expect: { type: 'string' },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

type Values = ReturnType<typeof parse>['values'];

async function build(root: string, names: readonly string[]): Promise<number> {
  const started = Date.now();
  const report = await buildStacks({
    root,
    names,
    store: new DockerImageStore(),
    log: (l) => console.log(l),
    dirs: loadHostDirs(),
  });
  const all = [...report.bases, ...report.stacks];
  const count = (s: string) => all.filter((o) => o.status === s).length;
  console.log(
    `done in ${((Date.now() - started) / 1000).toFixed(1)}s: ${count('built')} built, ${count('cached')} unchanged, ` +
      `${count('failed')} failed, ${report.problems.length} problem(s)`,
  );
  return report.ok ? 0 : 1;
}

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

function printInventory(inv: Inventory): void {
  const header = ['NAME', 'LANGUAGE', 'VERSION', 'IMAGE', 'SIZE', 'OWN DIFF', 'BASE', 'BUILT'];
  const rows = inv.stacks.map((s) => [
    s.name,
    s.language,
    s.version,
    s.imageId.slice(7, 19),
    mb(s.sizeBytes),
    mb(s.diffBytes),
    s.base,
    s.builtAt,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  for (const r of [header, ...rows])
    console.log(
      r
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    );
  console.log('');
  for (const b of inv.bases) console.log(`base ${b.ref} ${b.imageId.slice(7, 19)} ${mb(b.sizeBytes)}`);
  const t = inv.totals;
  console.log(
    `total: ${mb(t.sharedBytes)} with shared bases (bases + own diffs) vs ${mb(t.unsharedBytes)} without sharing; saved ${mb(t.savedBytes)}`,
  );
}

async function list(json: boolean): Promise<number> {
  const inv = await readInventory(new DockerImageStore());
  if (json) console.log(JSON.stringify(inv, null, 2));
  else printInventory(inv);
  return 0;
}

async function verify(root: string, names: readonly string[]): Promise<number> {
  const tree = await readStacksTree(root);
  const unknown = names.filter((n) => !tree.stacks.some((s) => s.manifest.name === n));
  for (const n of unknown)
    console.log(`FAIL ${n}: no such stack (or its stack.json is broken) under ${root}`);
  const selected = tree.stacks.filter((s) => names.length === 0 || names.includes(s.manifest.name));
  let failed = unknown.length;
  for (const stack of selected) {
    const o = await verifyStack(stack);
    if (!o.ok) failed++;
    console.log(`${o.ok ? 'ok  ' : 'FAIL'} ${o.name}: ${o.detail} (${(o.durationMs / 1000).toFixed(1)}s)`);
  }
  console.log(
    `${selected.length - (failed - unknown.length)} of ${selected.length + unknown.length} stacks verified`,
  );
  return failed === 0 ? 0 : 1;
}

async function addImage(args: readonly string[], values: Values): Promise<number> {
  const [name, image, ...extra] = args;
  if (!name || !image || extra.length > 0) throw new UsageError('usage: berth stacks add-image NAME IMAGE');
  const smokeCommand = values['smoke-command'];
  if ((smokeCommand === undefined) !== (values.expect === undefined))
    throw new UsageError('--smoke-command and --expect go together');
  const smoke =
    smokeCommand && values.expect
      ? { command: ['sh', '-c', smokeCommand], expect: values.expect }
      : undefined;
  const outcome = await addCustomImage({
    name,
    image,
    language: values.language ?? 'custom',
    version: values.version ?? 'custom',
    store: new DockerImageStore(),
    ...(smoke ? { smoke } : {}),
  });
  for (const p of outcome.problems) console.error(`berth stacks add-image: ${image}: ${p}`);
  if (outcome.problems.length > 0) return 1;
  console.log(`${image} accepted as stack ${name}: berth/stack-${name}:current = ${outcome.imageId}`);
  return 0;
}

const stacks: Command = {
  name: 'stacks',
  summary: 'build, list, verify and add language stack images',
  help: HELP,
  async run(argv) {
    const { values, positionals } = parse(argv);
    const [sub, ...rest] = positionals;
    const root = values.root ?? defaultStacksRoot();
    switch (sub) {
      case 'build':
        return build(root, rest);
      case 'list':
        return list(values.json ?? false);
      case 'verify':
        return verify(root, rest);
      case 'add-image':
        return addImage(rest, values);
      default:
        throw new UsageError(
          sub === undefined ? 'a subcommand is required (see --help)' : `unknown subcommand '${sub}'`,
        );
    }
  },
};

export default stacks;
