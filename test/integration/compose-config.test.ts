/**
 * docker-compose.yml (and the observability override) is accepted by the real Compose CLI, and
 * what it wires together is consistent with monitoring/, the Dockerfiles, the image build script
 * and the worker's BERTH_* settings (promtool checks every Prometheus config in
 * prometheus-monitoring.test.ts). compose-deploy.test.ts runs it for real.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { WORKER_SETTINGS } from '../../src/config/worker-settings.js';
import { WORKER_NODE_FLAGS } from '../../src/worker/worker-node-flags.js';
import { ComposeProject, composeCli, ROOT } from '../support/compose-project.js';

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
  ports?: (string | { host_ip?: string; published?: string | number; target?: number })[];
}

type PromConfig = {
  rule_files: string[];
  scrape_configs: {
    job_name: string;
    static_configs?: { targets: string[] }[];
    file_sd_configs?: unknown[];
  }[];
};

const WORKERS = ['worker-1', 'worker-2', 'worker-3'];
let services: Record<string, Service>;
let withObservability: Record<string, Service>;

async function config(files: string[]): Promise<Record<string, Service>> {
  const out = await new ComposeProject(await composeCli(), 'berthconfig', { ...process.env }, files).compose([
    'config',
  ]);
  return (parse(out) as { services: Record<string, Service> }).services;
}

function promConfig(rel: string): PromConfig {
  return parse(readFileSync(join(ROOT, 'monitoring/prometheus', rel), 'utf8')) as PromConfig;
}

function staticTargets(c: PromConfig, job: string): string[] {
  const j = c.scrape_configs.find((s) => s.job_name === job);
  return (j?.static_configs ?? []).flatMap((s) => s.targets).sort();
}

beforeAll(async () => {
  services = await config(['docker-compose.yml']);
  withObservability = await config(['docker-compose.yml', 'docker-compose.observability.yml']);
}, 300_000);

describe('docker-compose.yml', () => {
  it('defines Kafka, topic creation, three workers and Prometheus, all from images built here', () => {
    expect(Object.keys(services).sort()).toEqual(['kafka', 'prometheus', 'topics', ...WORKERS].sort());
    const script = readFileSync(join(ROOT, 'scripts/deploy-images.sh'), 'utf8');
    for (const [name, s] of Object.entries(services)) {
      // No registry: every image is one scripts/deploy-images.sh tags, nothing is built by compose.
      expect(s.image, name).toMatch(/^berth\/deploy-(worker|kafka|prometheus):current$/);
      expect(script).toContain(`build ${/deploy-(\w+)/.exec(s.image ?? '')?.[1]} `);
      expect(s.build, name).toBeUndefined();
    }
  });

  it("creates the topics with Berth's own code, not a hand-written list", () => {
    const topics = services.topics ?? {};
    expect(topics.image).toBe(services['worker-1']?.image);
    expect(topics.command).toEqual(['infra', 'topics', '--wait-ms', '120000']);
    expect(topics.environment?.BERTH_KAFKA_BROKERS).toBe('kafka:9092');
    expect(topics.environment?.BERTH_TOPIC_PREFIX).toBe(
      services['worker-1']?.environment?.BERTH_TOPIC_PREFIX,
    );
    expect(dependsOn(topics).kafka).toBe('service_healthy');
    const raw = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
    expect(raw).not.toMatch(/kafka-topics|--create|cleanup\.policy|retention\.ms/);
  });

  it('configures workers through known BERTH_* variables, with distinct ids and the Docker socket', () => {
    const known = new Set(Object.values(WORKER_SETTINGS).map((s) => s.env));
    const ids = new Set<string>();
    for (const name of WORKERS) {
      const w = services[name] ?? {};
      const env = w.environment ?? {};
      for (const key of Object.keys(env).filter((k) => k.startsWith('BERTH_')))
        expect(known, key).toContain(key);
      ids.add(String(env.BERTH_WORKER_ID));
      expect(env.BERTH_KAFKA_BROKERS).toBe('kafka:9092');
      expect(env.BERTH_METRICS_HOST).toBe('0.0.0.0');
      expect(w.hostname).toBe(name);
      expect(mountTargets(w)).toContain('/var/run/docker.sock');
      expect(w.group_add?.length).toBe(1);
      expect(dependsOn(w).topics).toBe('service_completed_successfully');
      expect(env.OTEL_EXPORTER_OTLP_ENDPOINT).toBeUndefined();
    }
    expect(ids.size).toBe(WORKERS.length);
  });

  it('publishes only Kafka and Prometheus, on 127.0.0.1', () => {
    const published = Object.entries(services).flatMap(([name, s]) =>
      (s.ports ?? []).map((p) => ({ name, ip: typeof p === 'string' ? p.split(':')[0] : p.host_ip })),
    );
    expect(published.map((p) => p.name).sort()).toEqual(['kafka', 'prometheus']);
    for (const p of published) expect(p.ip).toBe('127.0.0.1');
  });

  it('lets the compose Prometheus scrape exactly the compose workers and itself', () => {
    const prom = services.prometheus ?? {};
    const command = Array.isArray(prom.command) ? prom.command : [];
    expect(command).toContain('--config.file=/etc/prometheus/compose/prometheus.yml');
    expect(mountTargets(prom)).toContain('/etc/prometheus');
    const c = promConfig('compose/prometheus.yml');
    const expected = WORKERS.map((n) => `${n}:${services[n]?.environment?.BERTH_METRICS_PORT}`).sort();
    expect(staticTargets(c, 'berth-worker')).toEqual(expected);
    expect(staticTargets(c, 'prometheus')).toEqual(['127.0.0.1:9090']);
    expect(c.scrape_configs.map((s) => s.job_name).sort()).toEqual(['berth-worker', 'prometheus']);
  });

  it('keeps the host example config free of targets that are always down', () => {
    const c = promConfig('prometheus.yml');
    expect(c.scrape_configs.map((s) => s.job_name)).toEqual(['berth-worker-local']);
    expect(c.scrape_configs.flatMap((s) => s.static_configs ?? [])).toEqual([]);
  });
});

describe('docker-compose.observability.yml', () => {
  it('adds the collector and Grafana, traces from every worker, and the collector as a target', () => {
    expect(Object.keys(withObservability).sort()).toEqual(
      ['grafana', 'kafka', 'otel-collector', 'prometheus', 'topics', ...WORKERS].sort(),
    );
    for (const name of WORKERS) {
      const env = withObservability[name]?.environment ?? {};
      expect(new URL(String(env.OTEL_EXPORTER_OTLP_ENDPOINT)).hostname).toBe('otel-collector');
      expect(env.BERTH_WORKER_ID).toBe(name);
    }
    const command = withObservability.prometheus?.command;
    expect(command).toContain('--config.file=/etc/prometheus/compose/prometheus-observability.yml');
    const c = promConfig('compose/prometheus-observability.yml');
    expect(staticTargets(c, 'otel-collector')).toEqual(['otel-collector:8888']);
    expect(staticTargets(c, 'berth-worker')).toEqual(
      staticTargets(promConfig('compose/prometheus.yml'), 'berth-worker'),
    );
  });

  it('mounts monitoring files that exist, where the provisioning expects them', () => {
    for (const name of ['prometheus', 'grafana', 'otel-collector']) {
      for (const v of withObservability[name]?.volumes ?? []) {
        const source = typeof v === 'string' ? v.split(':')[0] : v.source;
        if (source?.includes('/monitoring/')) expect(existsSync(source), source).toBe(true);
      }
    }
    const provider = parse(
      readFileSync(join(ROOT, 'monitoring/grafana/provisioning/dashboards/berth.yml'), 'utf8'),
    ) as { providers: { options: { path: string } }[] };
    expect(mountTargets(withObservability.grafana ?? {})).toContain(provider.providers[0]?.options.path);
    expect(readFileSync(join(ROOT, 'monitoring/otel/collector.yml'), 'utf8')).toContain('0.0.0.0:4318');
  });
});

describe('worker image', () => {
  it('builds FROM the Node 20 stack image with an entrypoint that the build produces', () => {
    const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^ARG STACK_IMAGE=berth\/stack-node-20:current$/m);
    expect(dockerfile).not.toMatch(/^FROM (?!\$\{STACK_IMAGE\})/m);
    // Not the tasks' user (10001): task containers must not list the shared call socket directory.
    expect(dockerfile).toMatch(/^USER 10002:10002$/m);
    expect(dockerfile).toMatch(/chown 10002:10002 \/run\/berth-call/);
    expect(dockerfile).toMatch(/^HEALTHCHECK /m);
    const m = /^ENTRYPOINT \["node", (?:"--[^"]+", )*"\/app\/dist\/([^"]+)\.js"\]/m.exec(dockerfile);
    expect(m).not.toBeNull();
    const entry = m?.[1];
    // The worker runs with the node flags every worker process gets.
    for (const flag of WORKER_NODE_FLAGS) expect(m?.[0]).toContain(`"${flag}"`);
    const build = JSON.parse(readFileSync(join(ROOT, 'tsconfig.build.json'), 'utf8')) as {
      compilerOptions: { rootDir: string; outDir: string };
    };
    expect(build.compilerOptions).toMatchObject({ rootDir: 'src', outDir: 'dist' });
    expect(existsSync(join(ROOT, 'src', `${entry}.ts`))).toBe(true);
    for (const f of ['deploy/broker/Dockerfile', 'deploy/prometheus/Dockerfile']) {
      const text = readFileSync(join(ROOT, f), 'utf8');
      expect(text, f).toMatch(/^ARG BASE_IMAGE=berth\/base-bookworm:current$/m);
      expect(text, f).toMatch(/^HEALTHCHECK /m);
    }
  });
});

function mountTargets(s: Service): string[] {
  return (s.volumes ?? []).map((v) => (typeof v === 'string' ? (v.split(':')[1] ?? '') : (v.target ?? '')));
}

function dependsOn(s: Service): Record<string, string> {
  const d = s.depends_on ?? {};
  if (Array.isArray(d)) return Object.fromEntries(d.map((n) => [n, 'service_started']));
  return Object.fromEntries(Object.entries(d).map(([k, v]) => [k, v.condition ?? 'service_started']));
}
