import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The newest Debian PostgreSQL's bin directory (`postgresql` package), or null when not installed. */
export function postgresBinDir(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], 'bin') : null;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/**
 * A throwaway PostgreSQL cluster for one test file: `initdb` into a temporary directory, the
 * server on a free port on 127.0.0.1 (trust authentication, socket in the same directory), as the
 * `postgres` user when the tests run as root (PostgreSQL refuses to run as root). `stop` ends the
 * server and removes the directory.
 */
export class PostgresHarness {
  private dir: string | null = null;
  private server: ChildProcess | null = null;
  port = 0;

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  async start(): Promise<void> {
    const bin = postgresBinDir();
    if (!bin)
      throw new Error('PostgreSQL is not installed (scripts/test-prerequisites.sh installs postgresql)');
    this.dir = mkdtempSync(join(tmpdir(), 'berth-pg-'));
    chmodSync(this.dir, 0o777);
    const data = join(this.dir, 'data');
    const asRoot = process.getuid?.() === 0;
    const run = (cmd: string, args: string[]) =>
      asRoot
        ? (['runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args]] as const)
        : ([join(bin, cmd), args] as const);
    const [initCmd, initArgs] = run('initdb', [
      '-D',
      data,
      '-U',
      'postgres',
      '-A',
      'trust',
      '--no-sync',
      '-E',
      'UTF8',
    ]);
    execFileSync(initCmd, [...initArgs], { stdio: 'ignore' });
    this.port = await freePort();
    const [cmd, args] = run('postgres', [
      '-D',
      data,
      '-p',
      String(this.port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      `unix_socket_directories=${this.dir}`,
      '-c',
      'fsync=off',
    ]);
    this.server = spawn(cmd, [...args], { stdio: 'ignore' });
    const deadline = Date.now() + 30_000;
    const ready = join(bin, 'pg_isready');
    while (true) {
      try {
        execFileSync(ready, ['-h', '127.0.0.1', '-p', String(this.port)], { stdio: 'ignore' });
        return;
      } catch {
        if (Date.now() > deadline) throw new Error('PostgreSQL did not start within 30 s');
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (server && server.exitCode === null) {
      const exited = new Promise((r) => server.once('exit', r));
      server.kill('SIGINT'); // fast shutdown
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (server.exitCode === null) server.kill('SIGKILL');
    }
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.dir = null;
  }
}
