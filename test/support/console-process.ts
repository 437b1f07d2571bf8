import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LiveBerth, startBerth } from './berth-cli.js';

/** A `berth console` process of the compiled CLI on a free port, with its own SQLite file unless given a URL. */
export class ConsoleProcess {
  private proc: LiveBerth | null = null;
  private readonly dir = mkdtempSync(join(tmpdir(), 'berth-console-'));
  url = '';

  constructor(
    private readonly env: NodeJS.ProcessEnv,
    private readonly args: readonly string[] = [],
  ) {}

  get sqlitePath(): string {
    return join(this.dir, 'console.sqlite');
  }

  async start(): Promise<string> {
    this.proc = startBerth(['console', '--port', '0', '--db', this.sqlitePath, ...this.args], this.env);
    await this.proc.stderrMatch(/berth console: listening on /);
    // stdout and stderr are separate pipes: the URL line may arrive a moment after the log line.
    const deadline = Date.now() + 5000;
    const urlLine = () =>
      this.proc
        ?.out()
        .stdout.split('\n')
        .find((l) => l.startsWith('http://'));
    while (!urlLine()) {
      if (Date.now() > deadline)
        throw new Error(`console printed no URL: ${JSON.stringify(this.proc.out())}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    this.url = (urlLine() as string).trim();
    return this.url;
  }

  output(): { stdout: string; stderr: string } {
    return this.proc?.out() ?? { stdout: '', stderr: '' };
  }

  async api<T>(path: string, init?: RequestInit): Promise<T> {
    const res = await fetch(new URL(`api/${path}`, this.url), init);
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }

  /** SIGTERM, then the exit code; removes the SQLite directory. */
  async stop(): Promise<number | null> {
    let code: number | null = null;
    if (this.proc && this.proc.child.exitCode === null) {
      this.proc.child.kill('SIGTERM');
      code = await Promise.race([
        this.proc.exited,
        new Promise<null>((r) => setTimeout(() => r(null), 15_000)),
      ]);
      if (this.proc.child.exitCode === null) this.proc.child.kill('SIGKILL');
    }
    rmSync(this.dir, { recursive: true, force: true });
    return code;
  }
}
