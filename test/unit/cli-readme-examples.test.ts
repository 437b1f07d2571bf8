import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Command } from '../../src/cli/command.js';

/**
 * Every `berth` line in the README's and docs/client.md's shell blocks can be pasted as written:
 * a real command, flags it has, no placeholders (ID, NAME, …), no `|` between berth commands.
 */
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const commandsDir = join(root, 'src', 'cli', 'commands');

function shellLines(file: string): string[] {
  const lines: string[] = [];
  let inShell = false;
  for (const line of readFileSync(join(root, file), 'utf8').split('\n')) {
    if (line.startsWith('```')) inShell = line === '```sh';
    else if (inShell) lines.push(line.replace(/\s+#\s.*$/, '').trim());
  }
  return lines.filter((l) => l !== '');
}

async function helpOf(name: string): Promise<string> {
  const mod = (await import(join(commandsDir, `${name}.ts`))) as { default: Command };
  return mod.default.help;
}

describe('README and docs/client.md examples', () => {
  const commands = readdirSync(commandsDir).map((f) => f.replace(/\.ts$/, ''));

  it('use real commands and flags, and no placeholders or pipelines', async () => {
    const lines = [...shellLines('README.md'), ...shellLines('docs/client.md')];
    const berthLines = lines.flatMap((l) =>
      [...l.matchAll(/(?:^|\$\(|;\s*)berth ([^;)]*)/g)].map((m) => m[1] ?? ''),
    );
    expect(berthLines.length).toBeGreaterThan(15);
    for (const line of lines) {
      expect(line, line).not.toMatch(/\bberth\b[^|]*\|\s*berth\b/);
      expect(line, line).not.toMatch(/…|\b(ID|NAME|REV|DIR|DUR)\b|<[a-z]+>/);
    }
    for (const args of berthLines) {
      const [name, ...rest] = args.split(/\s+/);
      if (name === '--version') continue;
      expect(commands, args).toContain(name);
      const help = await helpOf(name as string);
      const own = rest.includes('--') ? rest.slice(0, rest.indexOf('--')) : rest;
      for (const flag of own.filter((a) => /^--[a-z]/.test(a)))
        expect(help, `${args}: ${flag}`).toContain(flag);
    }
  });
});
