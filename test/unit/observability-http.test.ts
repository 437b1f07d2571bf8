import { afterEach, describe, expect, it } from 'vitest';
import { InfraError } from '../../src/domain/infra-error.js';
import { type Observability, startObservability } from '../../src/observability/observability.js';

const open: Observability[] = [];

async function start(
  readiness: () => Promise<{ kafka: boolean; docker: boolean }>,
  metricsPort = 0,
): Promise<Observability> {
  const o = await startObservability({
    workerId: 'w-http',
    serviceName: 'berth-worker',
    metricsHost: '127.0.0.1',
    metricsPort,
    readiness,
  });
  open.push(o);
  return o;
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.close()));
});

describe('metrics HTTP endpoint', () => {
  it('answers /healthz with 200 and unknown paths with 404', async () => {
    const o = await start(async () => ({ kafka: false, docker: false }));
    expect(o.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${o.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${o.url}/nope`)).status).toBe(404);
    expect((await fetch(`${o.url}/metrics`, { method: 'POST' })).status).toBe(405);
  });

  it('turns /readyz from 503 to 200 once Kafka and Docker both answer', async () => {
    const state = { kafka: false, docker: false };
    const o = await start(async () => ({ ...state }));
    let res = await fetch(`${o.url}/readyz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ ready: false, kafka: false, docker: false });
    state.kafka = true;
    res = await fetch(`${o.url}/readyz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ ready: false, kafka: true, docker: false });
    state.docker = true;
    res = await fetch(`${o.url}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ready: true, kafka: true, docker: true });
  });

  it('answers /readyz 503 and sets berth_worker_up to 0 once draining', async () => {
    const o = await start(async () => ({ kafka: true, docker: true }));
    expect((await fetch(`${o.url}/readyz`)).status).toBe(200);
    o.markDraining();
    const res = await fetch(`${o.url}/readyz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ ready: false, draining: true });
    expect(await (await fetch(`${o.url}/metrics`)).text()).toMatch(/^berth_worker_up 0$/m);
    expect((await fetch(`${o.url}/healthz`)).status).toBe(200);
  });

  it('reports 503 with the error when the readiness probe throws', async () => {
    const o = await start(async () => {
      throw new Error('broker unreachable');
    });
    const res = await fetch(`${o.url}/readyz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ ready: false, error: 'broker unreachable' });
  });

  it('runs without a server for port -1, and close is idempotent and stops serving', async () => {
    const none = await start(async () => ({ kafka: true, docker: true }), -1);
    expect(none.url).toBeNull();
    none.telemetry.taskRetried('python');
    const o = await start(async () => ({ kafka: true, docker: true }));
    const url = o.url;
    await o.close();
    await o.close();
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });

  it('rejects an invalid port and a port already in use', async () => {
    await expect(start(async () => ({ kafka: true, docker: true }), 70_000)).rejects.toThrow(RangeError);
    const o = await start(async () => ({ kafka: true, docker: true }));
    const port = Number(new URL(o.url ?? '').port);
    const err = await start(async () => ({ kafka: true, docker: true }), port).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InfraError);
    expect((err as InfraError).message).toMatch(/EADDRINUSE/);
    expect((err as InfraError).retriable).toBe(false);
  });
});
