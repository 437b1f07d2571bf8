#!/usr/bin/env node
import { readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InfraError } from '../domain/infra-error.js';
import { type Command, UsageError } from './command.js';

const commandsDir = join(dirname(fileURLToPath(import.meta.url)), 'commands');

async function loadCommands(): Promise<Map<string, Command>> {
  const files = (await readdir(commandsDir)).filter((f) => f.endsWith('.js'));
  const commands = new Map<string, Command>();
  for (const file of files.sort()) {
    const mod = (await import(join(commandsDir, file))) as { default?: Command };
    if (mod.default) commands.set(mod.default.name, mod.default);
  }
  return commands;
}

function usage(commands: Map<string, Command>): string {
  const width = Math.max(...[...commands.keys()].map((n) => n.length));
  const lines = [...commands.values()].map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return [
    'usage: berth <command> [options]',
    '',
    'commands:',
    ...lines,
    '',
    'berth <command> --help for details',
  ].join('\n');
}

/** Entry point: dispatch, turn user-facing errors into one line and an exit code. */
async function main(argv: readonly string[]): Promise<number> {
  const commands = await loadCommands();
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage(commands));
    return name === undefined ? 2 : 0;
  }
  const command = commands.get(name);
  if (!command) {
    console.error(`berth: unknown command '${name}' (berth --help lists them)`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(command.help);
    return 0;
  }
  try {
    return await command.run(rest);
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
