/**
 * docker-compose.yml is accepted by the real Compose CLI (`docker compose config`, or the
 * standalone `docker-compose config`; Debian's docker-compose is installed when neither exists),
 * and what it wires together is consistent with monitoring/, the Dockerfile and the worker's
 * BERTH_* settings.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ensureAptPackages } from '../../src/infra/apt-package.js';

const ROOT = join(import.meta.dirname, '..', '..');

interface Service {
  image?: string;
  build?: unknown;
  environment?: Record<string, string | null>;
  volumes?: (string | { source?: string; target?: string; type?: string })[];
  depends_on?: Record<string, { condition?: string }> | string[];
  entrypoint?: string[];
  command?: string[] | string;
  hostname?: string;
  group_add?: (string | number)[];
}

let services: Record<string, Service>;

beforeAll(async () => {
  const out = await composeConfig();
  services = (parse(out) as { services: Record<string, Service> }).services;
}, 300_000);

describe('docker-compose.yml', () => {
  it('defines Kafka, topic init, two workers, Prometheus, Grafana and the OTel collector', () => {
    expect(Object.keys(services).sort()).toEqual(
      ['grafana', 'kafka', 'kafka-init', 'otel-collector', 'prometheus', 'worker-1', 'worker-2'].sort(),
    );
    expect(services.kafka?.image).toMatch(/^apache\/kafka:/);
    expect(services['otel-collector']?.image).toMatch(/^otel\/opentelemetry-collector:/);
  });

  it('configures workers through BERTH_* variables, with distinct ids and the Docker socket', () => {
    const ids = new Set<string>();
    for (const name of ['worker-1', 'worker-2']) {
      const w = services[name] ?? {};
      const env = w.environment ?? {};
      for (const key of [
        'BERTH_KAFKA_BROKERS',
        'BERTH_TOPIC_PREFIX',
        'BERTH_WORKER_ID',
        'BERTH_SLOTS',
        'BERTH_MEMORY_BUDGET_BYTES',
        'BERTH_METRICS_HOST',
        'BERTH_METRICS_PORT',
        'OTEL_EXPORTER_OTLP_ENDPOINT',
      ]) {
        expect(env[key], `${name} ${key}`).toBeTruthy();
      }
      ids.add(String(env.BERTH_WORKER_ID));
      expect(env.BERTH_KAFKA_BROKERS).toBe('kafka:9092');
      expect(env.BERTH_METRICS_HOST).toBe('0.0.0.0');
      expect(mountTargets(w)).toContain('/var/run/docker.sock');
      expect(w.build).toBeDefined();
      expect(dependsOn(w)['kafka-init']).toBe('service_completed_successfully');
      expect(new URL(String(env.OTEL_EXPORTER_OTLP_ENDPOINT)).hostname).toBe('otel-collector');
    }
    expect(ids.size).toBe(2);
    expect(dependsOn(services['kafka-init'] ?? {}).kafka).toBe('service_healthy');
  });

  it('lets Prometheus scrape exactly the compose workers on their metrics port', () => {
    const prom = parse(readFileSync(join(ROOT, 'monitoring/prometheus/prometheus.yml'), 'utf8')) as {
      scrape_configs: { job_name: string; static_configs?: { targets: string[] }[] }[];
    };
    const job = prom.scrape_configs.find((j) => j.job_name === 'berth-worker');
    const targets = (job?.static_configs ?? []).flatMap((s) => s.targets).sort();
    const expected = ['worker-1', 'worker-2']
      .map((n) => `${services[n]?.hostname ?? n}:${services[n]?.environment?.BERTH_METRICS_PORT}`)
      .sort();
    expect(targets).toEqual(expected);
    expect(mountTargets(services.prometheus ?? {})).toContain('/etc/prometheus');
  });

  it('mounts monitoring files that exist, where the provisioning expects them', () => {
    for (const name of ['prometheus', 'grafana', 'otel-collector']) {
      for (const v of services[name]?.volumes ?? []) {
        if (typeof v === 'object' && v.type === 'bind' && v.source?.includes('/monitoring/')) {
          expect(existsSync(v.source), v.source).toBe(true);
        }
      }
    }
    const provider = parse(
      readFileSync(join(ROOT, 'monitoring/grafana/provisioning/dashboards/berth.yml'), 'utf8'),
    ) as { providers: { options: { path: string } }[] };
    expect(mountTargets(services.grafana ?? {})).toContain(provider.providers[0]?.options.path);
    const collector = readFileSync(join(ROOT, 'monitoring/otel/collector.yml'), 'utf8');
    expect(collector).toContain('0.0.0.0:4318');
  });

  it('has a topic-init script that the shell parses and that creates every Berth topic', () => {
    const init = services['kafka-init'] ?? {};
    const script = Array.isArray(init.command) ? init.command.join('\n') : String(init.command);
    const dir = mkdtempSync(join(tmpdir(), 'berth-compose-'));
    try {
      const file = join(dir, 'init.sh');
      // Compose writes `$$` for a literal `$`; `config` output may still show it doubled.
      writeFileSync(file, script.replaceAll('$$', '$'));
      execFileSync('sh', ['-n', file]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    for (const topic of ['tasks', 'results', 'metrics', 'dlq', 'retry', 'code', 'control']) {
      expect(script).toMatch(new RegExp(`^\\s*t ${topic} `, 'm'));
    }
  });

  it('builds the worker image with an entrypoint that the build produces', () => {
    const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^FROM node:20-slim/m);
    const entry = /^ENTRYPOINT \["node", "dist\/([^"]+)\.js"\]/m.exec(dockerfile)?.[1];
    expect(entry).toBeDefined();
    const build = JSON.parse(readFileSync(join(ROOT, 'tsconfig.build.json'), 'utf8')) as {
      compilerOptions: { rootDir: string; outDir: string };
    };
    expect(build.compilerOptions).toMatchObject({ rootDir: 'src', outDir: 'dist' });
    expect(existsSync(join(ROOT, 'src', `${entry}.ts`))).toBe(true);
    const ignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n');
    for (const needed of ['src', 'schemas', 'stacks', 'package.json']) expect(ignore).not.toContain(needed);
  });
});

/** Runs `docker compose config` (v2) or `docker-compose config` (v1), installing v1 if needed. */
async function composeConfig(): Promise<string> {
  let cli = composeCli();
  if (cli === null) {
    await ensureAptPackages('docker-compose', ['docker-compose'], () => undefined);
    cli = composeCli();
  }
  if (cli === null) throw new Error('no Compose CLI available after installing docker-compose');
  const [cmd, ...prefix] = cli;
  return execFileSync(cmd ?? '', [...prefix, '-f', join(ROOT, 'docker-compose.yml'), 'config'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: ROOT,
  });
}

/** The first Compose CLI that answers `version`: the v2 plugin, then standalone v1. */
function composeCli(): string[] | null {
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

function mountTargets(s: Service): string[] {
  return (s.volumes ?? []).map((v) => (typeof v === 'string' ? (v.split(':')[1] ?? '') : (v.target ?? '')));
}

function dependsOn(s: Service): Record<string, string> {
  const d = s.depends_on ?? {};
  if (Array.isArray(d)) return Object.fromEntries(d.map((n) => [n, 'service_started']));
  return Object.fromEntries(Object.entries(d).map(([k, v]) => [k, v.condition ?? 'service_started']));
}
