import { parseArgs } from 'node:util';
import { DockerImageStore } from '../../containers/image-store.js';
import { buildStacks } from '../../stacks/stack-builder.js';
import { defaultStacksRoot } from '../../stacks/stacks-root.js';
import { type Command, UsageError } from '../command.js';

const HELP = `usage: berth stacks <subcommand> [options]

subcommands:
  build [name...]        build the bases and the named stacks (all when none), skipping unchanged ones
  list [--json]          stacks with image id, size, own diff over the base, built-at, and totals
  verify [name...]       run each stack's smoke test under the task security limits
  add-image NAME IMAGE   check a custom image against the container contract and tag it as a stack

options:
  --root DIR             stacks directory (default: the repository's stacks/, or BERTH_STACKS_DIR)`;

function parse(argv: readonly string[]) {
  try {
    return parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: { root: { type: 'string' }, json: { type: 'boolean', default: false } },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

async function build(root: string, names: readonly string[]): Promise<number> {
  const started = Date.now();
  const report = await buildStacks({
    root,
    names,
    store: new DockerImageStore(),
    log: (l) => console.log(l),
  });
  const all = [...report.bases, ...report.stacks];
  const count = (s: string) => all.filter((o) => o.status === s).length;
  console.log(
    `done in ${((Date.now() - started) / 1000).toFixed(1)}s: ${count('built')} built, ${count('cached')} unchanged, ` +
      `${count('failed')} failed, ${report.problems.length} problem(s)`,
  );
  return report.ok ? 0 : 1;
}

const stacks: Command = {
  name: 'stacks',
  summary: 'build, list, verify and add language stack images',
  help: HELP,
  async run(argv) {
    const { values, positionals } = parse(argv);
    const [sub, ...names] = positionals;
    const root = values.root ?? defaultStacksRoot();
    switch (sub) {
      case 'build':
        return build(root, names);
      default:
        throw new UsageError(
          sub === undefined ? 'a subcommand is required (see --help)' : `unknown subcommand '${sub}'`,
        );
    }
  },
};

export default stacks;
