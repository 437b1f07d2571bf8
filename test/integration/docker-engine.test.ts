import { execFileSync } from 'node:child_process';
import Docker from 'dockerode';
import { afterAll, describe, expect, it } from 'vitest';
import { DockerodeEngine } from '../../src/containers/dockerode-engine.js';
import { InfraError } from '../../src/domain/infra-error.js';

/** The engine itself through dockerode, and the adapter's error translation. */
const IMAGE = 'berth/base-bookworm:current';
const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const labels = { 'berth.test': '1', 'berth.test-run': run, 'berth.role': 'test' };
const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const engine = new DockerodeEngine();

afterAll(async () => {
  const left = await engine.listByLabels({ 'berth.test-run': run });
  for (const c of left) await engine.remove(c.id);
  expect(left).toEqual([]);
});

describe('docker engine', () => {
  it('round trip with dockerode: create, start, wait, logs, remove', async () => {
    const container = await docker.createContainer({
      Image: IMAGE,
      Entrypoint: ['sh', '-c', 'echo out; echo err >&2; exit 7'],
      Labels: labels,
      HostConfig: { NetworkMode: 'none' },
    });
    await container.start();
    const waited = (await container.wait()) as { StatusCode: number };
    expect(waited.StatusCode).toBe(7);
    const logs = await container.logs({ stdout: true, stderr: true, follow: false });
    const out = { stdout: '', stderr: '' };
    demux(logs, out);
    expect(out).toEqual({ stdout: 'out\n', stderr: 'err\n' });
    const found = await engine.listByLabels({ 'berth.test-run': run });
    expect(found.map((c) => c.id)).toEqual([container.id]);
    expect(found[0]?.labels['berth.role']).toBe('test');
    await container.remove({ force: true });
    expect(await engine.inspect(container.id)).toBeNull();
  });

  it('adapter: attach before start sees all output; kill and remove are idempotent', async () => {
    const id = await engine.create({
      Image: IMAGE,
      Entrypoint: ['sh', '-c', 'read line; echo "got $line"; sleep 30'],
      Labels: labels,
      OpenStdin: true,
      StdinOnce: true,
      Tty: false,
    });
    const streams = await engine.attach(id);
    await engine.start(id);
    streams.stdin.write('ping\n');
    const line = await new Promise<string>((resolve) =>
      streams.stdout.once('data', (b: Buffer) => resolve(b.toString())),
    );
    expect(line).toBe('got ping\n');
    expect((await engine.inspect(id))?.running).toBe(true);
    await engine.updateLimits(id, { memoryBytes: 64 * 1024 * 1024, nanoCpus: 500_000_000, pidsLimit: 32 });
    const limits = JSON.parse(
      execFileSync('docker', ['inspect', '--format', '{{json .HostConfig}}', id]).toString(),
    );
    expect([limits.Memory, limits.MemorySwap, limits.PidsLimit]).toEqual([
      64 * 1024 * 1024,
      64 * 1024 * 1024,
      32,
    ]);
    const ended = new Promise((resolve) => streams.stdout.on('end', resolve));
    await engine.kill(id);
    await engine.kill(id);
    await ended;
    streams.close();
    await engine.remove(id);
    await engine.remove(id);
    expect(await engine.inspect(id)).toBeNull();
  });

  it('adapter: a missing image is a non-retriable InfraError; no engine is retriable', async () => {
    const missing = await engine
      .create({ Image: 'berth/no-such-image:never', Labels: labels })
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(InfraError);
    expect((missing as InfraError).retriable).toBe(false);
    expect((missing as InfraError).message).toMatch(/HTTP 404/);
    const nowhere = new DockerodeEngine({
      socketPath: `/tmp/berth-no-engine-${run}.sock`,
      requestTimeoutMs: 1000,
    });
    const down = await nowhere.listByLabels(labels).catch((e: unknown) => e);
    expect(down).toBeInstanceOf(InfraError);
    expect((down as InfraError).retriable).toBe(true);
  });
});

/** Splits the engine's multiplexed log buffer (8-byte frame headers) into stdout and stderr. */
function demux(buf: Buffer, out: { stdout: string; stderr: string }): void {
  for (let at = 0; at + 8 <= buf.length; ) {
    const size = buf.readUInt32BE(at + 4);
    const chunk = buf.subarray(at + 8, at + 8 + size).toString();
    if (buf[at] === 2) out.stderr += chunk;
    else out.stdout += chunk;
    at += 8 + size;
  }
}
