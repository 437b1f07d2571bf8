/**
 * docker-compose.yml really runs, with no image registry: the images are built on this engine
 * (scripts/deploy-images.sh, cached by content hash), `up -d` under a random project name and
 * free host ports brings up the broker, Berth's topics (created by `berth infra topics` with
 * Berth's own configs), three workers and Prometheus, all healthy; the demo workload runs through
 * the compose broker and every result is what it should be; every Prometheus target is up and
 * Prometheus has counted the tasks; `down -v` leaves no container, network or volume of the
 * project and no task container of its installation.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushExamples, runWorkload } from '../../src/demo/demo-run.js';
import { demoWorkload } from '../../src/demo/demo-workload.js';
import { installationIdOf } from '../../src/domain/installation.js';
import { fetchClusterId } from '../../src/kafka/cluster-id.js';
import { berthTopicDrift } from '../../src/kafka/kafka-admin.js';
import { createKafka } from '../../src/kafka/kafka-connection.js';
import {
  ComposeProject,
  composeCli,
  containersLabelled,
  freePort,
  ROOT,
} from '../support/compose-project.js';

const run = promisify(execFile);
const WORKERS = ['worker-1', 'worker-2', 'worker-3'];
const TRANSACTIONS = 30;

let project: ComposeProject;
let callSocketVolume: string;
let kafkaPort: number;
let promPort: number;
let installationLabel: string;

async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | null>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = null;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== null) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

beforeAll(async () => {
  // Built (or found by hash) here, so a cold CI run builds them and a warm run takes seconds.
  const { stdout } = await run('sh', [join(ROOT, 'scripts', 'deploy-images.sh')], {
    cwd: ROOT,
    timeout: 900_000,
    maxBuffer: 16 << 20,
  });
  expect(stdout).toMatch(/^worker berth\/deploy-worker:\w{12} (built|cached)$/m);
  kafkaPort = await freePort();
  promPort = await freePort();
  const name = `berthdeploy${randomBytes(4).toString('hex')}`;
  callSocketVolume = `${name}-call-sockets`;
  project = new ComposeProject(await composeCli(), name, {
    ...process.env,
    BERTH_KAFKA_HOST_PORT: String(kafkaPort),
    BERTH_PROMETHEUS_HOST_PORT: String(promPort),
    DOCKER_GID: String(statSync('/var/run/docker.sock').gid),
    BERTH_TASKS_PARTITIONS: '6',
    BERTH_CALL_SOCKET_VOLUME: callSocketVolume,
  });
  await project.compose(['up', '-d']);
}, 1_200_000);

afterAll(async () => {
  if (!project) return;
  // Safety net when a test failed before `down`: the project and its task containers go.
  if ((await project.containers()).length > 0)
    await project.compose(['down', '-v', '-t', '60']).catch(() => {});
  if (installationLabel) {
    const left = await containersLabelled(installationLabel);
    if (left.length > 0) await run('docker', ['rm', '-f', ...left]).catch(() => {});
  }
}, 300_000);

describe('docker-compose deployment', () => {
  it('brings up Kafka, the topics, three healthy workers and Prometheus', async () => {
    const expected = { kafka: 'healthy', topics: 'exited(0)', prometheus: 'healthy' };
    const states = await waitFor('every service healthy', 240_000, async () => {
      const s = await project.states();
      const ok =
        Object.entries(expected).every(([k, v]) => s[k] === v) && WORKERS.every((w) => s[w] === 'healthy');
      return ok ? s : null;
    }).catch(async (err: Error) => {
      throw new Error(`${err.message}; states ${JSON.stringify(await project.states())}`);
    });
    expect(Object.keys(states).sort()).toEqual(['kafka', 'prometheus', 'topics', ...WORKERS].sort());
    const kafka = createKafka({ brokers: [`127.0.0.1:${kafkaPort}`], clientId: 'compose-deploy-test' });
    installationLabel = `berth.installation=${installationIdOf(await fetchClusterId(kafka), 'berth')}`;
  }, 300_000);

  it('has every Berth topic with the configs `berth infra up` gives them', async () => {
    const kafka = createKafka({ brokers: [`127.0.0.1:${kafkaPort}`], clientId: 'compose-deploy-test' });
    expect(await berthTopicDrift(kafka, 'berth', { tasksPartitions: 6 })).toEqual([]);
    // Drift is detected: the same topics checked against another partition count differ.
    expect(await berthTopicDrift(kafka, 'berth', { tasksPartitions: 7 })).toEqual([
      'berth.tasks partitions=6 (want 7)',
      'berth.tasks.high partitions=6 (want 7)',
      'berth.tasks.low partitions=6 (want 7)',
    ]);
  });

  it('runs the demo workload through the compose broker, every result as expected', async () => {
    const opts = {
      cli: join(ROOT, 'dist', 'cli', 'main.js'),
      examplesDir: join(ROOT, 'examples'),
      brokers: [`127.0.0.1:${kafkaPort}`],
      topicPrefix: 'berth',
      tasks: demoWorkload(`compose-${Date.now().toString(36)}`, TRANSACTIONS),
      timeoutMs: 300_000,
      log: () => undefined,
    };
    await pushExamples(opts);
    // Metrics are checked through Prometheus below; the workers' ports are not published.
    const problems = await runWorkload(opts, { metricsUrl: 'http://127.0.0.1:1' });
    expect(problems).toEqual([]);
    // The workers keep warm task containers of their installation on the host engine.
    expect((await containersLabelled(installationLabel)).length).toBeGreaterThan(0);
    // Function-mode calls travel on the workers' call sockets: the compose volume, read-only.
    const functionContainers = (await containersLabelled(installationLabel)).filter((id) =>
      execFileSync('docker', ['inspect', '-f', '{{index .Config.Labels "berth.isolation"}}', id])
        .toString()
        .includes('function'),
    );
    expect(functionContainers.length).toBeGreaterThan(0);
    for (const id of functionContainers) {
      const mounts = JSON.parse(execFileSync('docker', ['inspect', '-f', '{{json .Mounts}}', id]).toString());
      expect(mounts).toEqual([
        expect.objectContaining({
          Type: 'volume',
          Name: callSocketVolume,
          Destination: '/run/berth-call',
          RW: false,
        }),
      ]);
      // Its launcher (PID 1, no network) holds a socket: it connected to its worker's call socket.
      const pid = execFileSync('docker', ['inspect', '-f', '{{.State.Pid}}', id]).toString().trim();
      const fds = readdirSync(`/proc/${pid}/fd`).map((fd) => {
        try {
          return readlinkSync(`/proc/${pid}/fd/${fd}`);
        } catch {
          return '';
        }
      });
      expect(fds.some((l) => l.startsWith('socket:'))).toBe(true);
      // The workers run as another user than the tasks: a task may reach its own socket by name,
      // never list the directory where the other containers' sockets wait.
      const listing = spawnSync('docker', ['exec', id, 'ls', '/run/berth-call']);
      expect(listing.status).not.toBe(0);
      expect(listing.stderr.toString()).toMatch(/Permission denied/);
    }
  }, 420_000);

  it('has every Prometheus target up, and Prometheus counted every task', async () => {
    const prom = `http://127.0.0.1:${promPort}`;
    type Target = { labels: { job: string; instance: string }; health: string; lastError: string };
    const targets = await waitFor('every target up', 90_000, async () => {
      const body = (await (await fetch(`${prom}/api/v1/targets`)).json()) as {
        data: { activeTargets: Target[] };
      };
      const active = body.data.activeTargets;
      return active.length > 0 && active.every((t) => t.health === 'up') ? active : null;
    });
    expect(targets.map((t) => `${t.labels.job} ${t.labels.instance}`).sort()).toEqual([
      ...WORKERS.map((w) => `berth-worker ${w}:9464`),
      'prometheus 127.0.0.1:9090',
    ]);
    const tasks = demoTaskCount();
    const counted = await waitFor('the tasks in berth_tasks_total', 90_000, async () => {
      const q = new URLSearchParams({ query: 'sum(berth_tasks_total{job="berth-worker"})' });
      const body = (await (await fetch(`${prom}/api/v1/query?${q}`)).json()) as {
        data: { result: { value: [number, string] }[] };
      };
      const n = Number(body.data.result[0]?.value[1] ?? 0);
      return n >= tasks ? n : null;
    });
    // At least once: a task re-run after a rebalance is counted again.
    expect(counted).toBeGreaterThanOrEqual(tasks);
    const down = new URLSearchParams({ query: 'ALERTS{alertname="BerthWorkerDown"}' });
    const alerts = (await (await fetch(`${prom}/api/v1/query?${down}`)).json()) as {
      data: { result: unknown[] };
    };
    expect(alerts.data.result).toEqual([]);
  }, 240_000);

  it('leaves nothing behind after down -v: no container, network, volume or task container', async () => {
    await project.compose(['down', '-v', '-t', '60']);
    expect(await project.containers()).toEqual([]);
    expect(await project.networks()).toEqual([]);
    expect(await project.volumes()).toEqual([]);
    expect(await containersLabelled(installationLabel)).toEqual([]);
  }, 300_000);
});

/** Tasks of the demo workload: the transactions plus its nine other tasks. */
function demoTaskCount(): number {
  return demoWorkload('count', TRANSACTIONS).length;
}
