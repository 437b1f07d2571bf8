/**
 * A docker-compose project of the repository's docker-compose.yml under its own project name and
 * host ports, for tests: the Compose CLI (v2 plugin or Debian's standalone docker-compose, which
 * is installed when neither exists), waiting for health, and listing what the project left behind.
 */
import { execFile, execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ensureAptPackages } from '../../src/infra/apt-package.js';

const run = promisify(execFile);
export const ROOT = join(import.meta.dirname, '..', '..');

/** The first Compose CLI that answers `version`: the v2 plugin, then standalone v1; null if none. */
function composeCliNow(): string[] | null {
  for (const cli of [['docker', 'compose'], ['docker-compose']]) {
    const [cmd, ...args] = cli;
    try {
      execFileSync(cmd ?? '', [...args, 'version'], { stdio: 'ignore' });
      return cli;
    } catch {
      // Not installed (ENOENT) or no compose plugin: try the next one.
    }
  }
  return null;
}

/** A Compose CLI, installing Debian's docker-compose when none is there. */
export async function composeCli(): Promise<string[]> {
  let cli = composeCliNow();
  if (cli === null) {
    await ensureAptPackages('docker-compose', ['docker-compose'], () => undefined);
    cli = composeCliNow();
  }
  if (cli === null) throw new Error('no Compose CLI available after installing docker-compose');
  return cli;
}

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export class ComposeProject {
  constructor(
    private readonly cli: readonly string[],
    readonly name: string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly files: readonly string[] = ['docker-compose.yml'],
  ) {}

  /** Runs `compose -p NAME -f … ARGS` in the repository root; rejects with its stderr on failure. */
  async compose(args: readonly string[], timeoutMs = 300_000): Promise<string> {
    const [cmd, ...prefix] = this.cli;
    const fileArgs = this.files.flatMap((f) => ['-f', join(ROOT, f)]);
    try {
      const { stdout } = await run(cmd ?? '', [...prefix, '-p', this.name, ...fileArgs, ...args], {
        cwd: ROOT,
        env: this.env,
        timeout: timeoutMs,
        maxBuffer: 64 << 20,
      });
      return stdout;
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`compose ${args.join(' ')} failed: ${e.stderr?.trim().slice(-2000) || e.message}`);
    }
  }

  /** Container ids of the project (all states), by the compose project label. */
  containers(): Promise<string[]> {
    return ids('ps', ['-a', '--filter', `label=com.docker.compose.project=${this.name}`]);
  }

  networks(): Promise<string[]> {
    return ids('network', ['ls', '--filter', `label=com.docker.compose.project=${this.name}`]);
  }

  volumes(): Promise<string[]> {
    return ids('volume', ['ls', '--filter', `label=com.docker.compose.project=${this.name}`]);
  }

  /** `service -> state` where state is `healthy`, `unhealthy`, `starting`, `exited(N)`, `running`. */
  async states(): Promise<Record<string, string>> {
    const all = await this.containers();
    if (all.length === 0) return {};
    const { stdout } = await run('docker', [
      'inspect',
      '--format',
      '{{index .Config.Labels "com.docker.compose.service"}} {{.State.Status}} {{.State.ExitCode}} {{if .State.Health}}{{.State.Health.Status}}{{end}}',
      ...all,
    ]);
    const states: Record<string, string> = {};
    for (const line of stdout.trim().split('\n')) {
      const [service, status, exitCode, health] = line.split(' ');
      if (!service) continue;
      states[service] = status === 'exited' ? `exited(${exitCode})` : health || (status ?? '');
    }
    return states;
  }
}

/** Ids of containers carrying `label` (any state). */
export function containersLabelled(label: string): Promise<string[]> {
  return ids('ps', ['-a', '--filter', `label=${label}`]);
}

async function ids(kind: 'ps' | 'network' | 'volume', args: readonly string[]): Promise<string[]> {
  const cmd = kind === 'ps' ? ['ps', ...args, '-q'] : [kind, ...args, '-q'];
  const { stdout } = await run('docker', cmd);
  return stdout.split('\n').filter((l) => l.trim() !== '');
}
