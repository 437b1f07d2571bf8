#!/usr/bin/env -S node --max-semi-space-size=64 --heap-growing-percent=100
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InfraError } from '../domain/infra-error.js';
import { type Command, UsageError } from './command.js';
import { kafkaSecurityHelp, takeKafkaSecurityFlags } from './kafka-security-flags.js';

const commandsDir = join(dirname(fileURLToPath(import.meta.url)), 'commands');

/** `berth <version>` from the package's package.json (two levels up from src/cli and dist/cli). */
async function versionLine(): Promise<string> {
  const file = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'package.json');
  const pkg = JSON.parse(await readFile(file, 'utf8')) as { name?: string; version?: string };
  return `${pkg.name ?? 'berth'} ${pkg.version ?? 'unknown'}`;
}

/** Names of the available commands (one module per file in commands/). */
async function commandNames(): Promise<string[]> {
  const files = await readdir(commandsDir);
  return files
    .filter((f) => f.endsWith('.js'))
    .map((f) => f.slice(0, -3))
    .sort();
}

/** Loads one command module; a module that fails to load affects only that command. */
async function loadCommand(name: string): Promise<Command> {
  const mod = (await import(join(commandsDir, `${name}.js`))) as { default?: Command };
  if (!mod.default) throw new Error(`command module ${name}.js has no default export`);
  return mod.default;
}

async function loadAll(): Promise<Map<string, Command | Error>> {
  const commands = new Map<string, Command | Error>();
  for (const name of await commandNames()) {
    commands.set(name, await loadCommand(name).catch((err: unknown) => err as Error));
  }
  return commands;
}

function usage(commands: Map<string, Command | Error>): string {
  const width = Math.max(...[...commands.keys()].map((n) => n.length));
  const lines = [...commands].map(
    ([name, c]) =>
      `  ${name.padEnd(width)}  ${c instanceof Error ? `(unavailable: ${c.message})` : c.summary}`,
  );
  return [
    'usage: berth <command> [options]',
    '',
    'commands:',
    ...lines,
    '',
    ...kafkaSecurityHelp(),
    '',
    'berth <command> --help for details; berth --version prints the version',
  ].join('\n');
}

/** Entry point: dispatch, turn user-facing errors into one line and an exit code. */
async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-V' || name === 'version') {
    console.log(await versionLine());
    return 0;
  }
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage(await loadAll()));
    return name === undefined ? 2 : 0;
  }
  if (!(await commandNames()).includes(name)) {
    console.error(`berth: unknown command '${name}' (berth --help lists them)`);
    return 2;
  }
  const command = await loadCommand(name);
  // Arguments after `--` belong to the task's command (berth run STACK -- CMD --help).
  const own = rest.includes('--') ? rest.slice(0, rest.indexOf('--')) : rest;
  if (own.includes('--help') || own.includes('-h')) {
    console.log(command.help);
    return 0;
  }
  try {
    // Security flags become the variables they stand for: one place reads them, and a worker
    // started by a command (berth demo) inherits them.
    const taken = takeKafkaSecurityFlags(rest);
    Object.assign(process.env, taken.env);
    return await command.run(taken.argv);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`berth ${name}: ${err.message}`);
      return err.exitCode;
    }
    if (err instanceof InfraError) {
      console.error(`berth ${name}: ${err.message}`);
      return 1;
    }
    throw err;
  }
}

// Exit explicitly: a command is done when `run` resolves, even if a client library still holds a
// timer or socket open (stdout and stderr are synchronous for files and pipes on Linux).
main(process.argv.slice(2)).then(
  (code) => {
    process.exit(code);
  },
  (err: unknown) => {
    console.error(err);
    process.exitCode = 70;
  },
);
