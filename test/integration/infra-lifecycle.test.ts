import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBerth } from '../support/berth-cli.js';

/**
 * `berth infra` against real processes: a second, private Kafka broker on another port and state
 * dir (so the suite's own broker is untouched), started, found running, stopped and started again.
 */
describe('berth infra lifecycle', () => {
  let stateDir: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'berth-infra-'));
    const port = 19092 + Math.floor(Math.random() * 500) * 2;
    env = { BERTH_STATE_DIR: stateDir, BERTH_KAFKA_PORT: String(port), BERTH_KAFKA_HEAP_MB: '256' };
  });

  afterAll(async () => {
    await runBerth(['infra', 'down'], env);
    await rm(stateDir, { recursive: true, force: true });
  });

  it('up starts a broker, a second up is a no-op, down stops it, up works again', async () => {
    const first = await runBerth(['infra', 'up'], env);
    expect(first.stderr).toContain('broker ready');
    expect(first.code).toBe(0);
    const pid = /kafka\s+running \(pid (\d+), started by berth\)/.exec(first.stdout)?.[1];
    expect(pid).toBeDefined();

    const second = await runBerth(['infra', 'up'], env);
    expect(second.code).toBe(0);
    expect(second.stderr).toContain('already answering');
    expect(second.stderr).not.toContain('started (pid');
    expect(second.stderr).toContain('already present');
    expect(second.stdout).toContain(`pid ${pid}`);

    const down = await runBerth(['infra', 'down'], env);
    expect(down.code).toBe(0);
    expect(down.stderr).toContain('kafka: broker stopped');
    // dockerd was already running before: `down` must leave it alone.
    expect(down.stderr).toContain('docker: nothing of ours running');
    const after = await runBerth(['infra', 'status'], env);
    expect(after.code).toBe(1);
    expect(after.stdout).toMatch(/kafka\s+down/);

    const again = await runBerth(['infra', 'up'], env);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('broker ready');
    expect(again.stdout).not.toContain(`pid ${pid},`);
  });
});

describe('berth infra errors are one clear line, not a stack trace', () => {
  let dir: string;
  let server: Server | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-infra-err-'));
  });
  afterAll(async () => {
    server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('reports a port held by something that is not Kafka', async () => {
    server = createServer((socket) => {
      socket.on('error', () => undefined);
      socket.end('not kafka\n');
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    const run = await runBerth(['infra', 'up'], {
      BERTH_STATE_DIR: join(dir, 'port'),
      BERTH_KAFKA_PORT: String(port),
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`port ${port} is taken by node (pid ${process.pid})`);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('reports Maven unreachable when no jars are cached', async () => {
    const settings = join(dir, 'settings.xml');
    await writeFile(
      settings,
      `<settings><mirrors><mirror><id>nowhere</id><mirrorOf>*</mirrorOf><url>http://127.0.0.1:9/maven2</url></mirror></mirrors></settings>`,
    );
    const run = await runBerth(['infra', 'up'], {
      BERTH_STATE_DIR: join(dir, 'mvn'),
      BERTH_CACHE_DIR: join(dir, 'empty-cache'),
      BERTH_KAFKA_PORT: '19990',
      BERTH_MAVEN_ARGS: `-s ${settings} -Dmaven.repo.local=${join(dir, 'empty-repo')}`,
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('could not fetch the Kafka 4.4.0 jars with mvn and none are cached');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('reports a dockerd that fails to start with the tail of its log', async () => {
    const badConfig = join(dir, 'daemon.json');
    await writeFile(badConfig, '{ this is not json');
    const run = await runBerth(['infra', 'up'], {
      BERTH_STATE_DIR: join(dir, 'dockerd'),
      DOCKER_HOST: `unix://${join(dir, 'nowhere.sock')}`,
      BERTH_DOCKERD_ARGS: `--config-file ${badConfig}`,
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('dockerd did not come up; last lines of');
    expect(run.stderr).toContain('daemon.json');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});
