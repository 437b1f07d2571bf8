import { describe, expect, it } from 'vitest';
import { taskContainerSpec } from '../../src/containers/container-spec.js';
import { isConflict, isNotFound, toDockerInfraError } from '../../src/containers/docker-error.js';
import { executorOptions } from '../../src/containers/executor-options.js';
import { InfraError } from '../../src/domain/infra-error.js';

const input = {
  imageId: 'sha256:abc',
  stack: 'python-3.11',
  workerId: 'w-1',
  limits: { memoryBytes: 64 * 1024 * 1024, nanoCpus: 500_000_000, pidsLimit: 64 },
  network: false,
  taskTmpfsBytes: 1024 * 1024,
  tmpTmpfsBytes: 2 * 1024 * 1024,
  extraLabels: { 'berth.test': '1', 'berth.role': 'spoof' },
  nowMs: 123,
};

describe('taskContainerSpec', () => {
  it('applies the security defaults', () => {
    const spec = taskContainerSpec(input);
    const h = spec.HostConfig ?? {};
    expect(spec.User).toBe('10001:10001');
    expect(spec.Image).toBe('sha256:abc');
    expect([spec.OpenStdin, spec.StdinOnce, spec.Tty]).toEqual([true, true, false]);
    expect(h.ReadonlyRootfs).toBe(true);
    expect(h.CapDrop).toEqual(['ALL']);
    expect(h.SecurityOpt).toEqual(['no-new-privileges']);
    expect(h.NetworkMode).toBe('none');
    expect([h.Memory, h.MemorySwap, h.NanoCpus, h.PidsLimit]).toEqual([
      64 * 1024 * 1024,
      64 * 1024 * 1024,
      5e8,
      64,
    ]);
    expect(h.OomKillDisable).toBe(false);
    expect(h.AutoRemove).toBe(false);
    expect(h.Tmpfs?.['/task']).toMatch(/(^|,)exec,.*size=1048576,uid=10001,gid=10001/);
    expect(h.Tmpfs?.['/tmp']).toMatch(/size=2097152,uid=10001,gid=10001/);
  });

  it('labels the container and does not let extra labels override Berth ones', () => {
    expect(taskContainerSpec(input).Labels).toEqual({
      'berth.test': '1',
      'berth.role': 'task',
      'berth.worker': 'w-1',
      'berth.stack': 'python-3.11',
      'berth.created-ms': '123',
    });
  });

  it('uses the bridge network only when asked', () => {
    expect(taskContainerSpec({ ...input, network: true }).HostConfig?.NetworkMode).toBe('bridge');
  });
});

describe('toDockerInfraError', () => {
  it('marks connection failures and 5xx retriable, 4xx not', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED /var/run/docker.sock'), {
      code: 'ECONNREFUSED',
    });
    expect(toDockerInfraError(refused, 'create').retriable).toBe(true);
    expect(toDockerInfraError({ statusCode: 500, json: { message: 'oops' } }, 'start').retriable).toBe(true);
    const missing = toDockerInfraError({ statusCode: 404, json: { message: 'No such image: x' } }, 'create');
    expect(missing.retriable).toBe(false);
    expect(missing.component).toBe('docker');
    expect(missing.message).toBe('docker create failed (HTTP 404): No such image: x');
    expect(toDockerInfraError(new Error('socket hang up'), 'attach').retriable).toBe(true);
  });

  it('passes InfraErrors through and classifies statuses', () => {
    const e = new InfraError('x', { retriable: false, component: 'docker' });
    expect(toDockerInfraError(e, 'kill')).toBe(e);
    expect(isNotFound({ statusCode: 404 })).toBe(true);
    expect(isConflict({ statusCode: 409 })).toBe(true);
    expect(isNotFound(new Error('x'))).toBe(false);
  });
});

describe('executorOptions', () => {
  it('fills defaults and freezes', () => {
    const o = executorOptions({ workerId: 'w1' });
    expect(Object.isFrozen(o)).toBe(true);
    expect(Object.isFrozen(o.defaultLimits)).toBe(true);
    expect(o.defaultLimits.memoryBytes).toBe(256 * 1024 * 1024);
  });

  it('rejects bad values as config errors', () => {
    expect(() => executorOptions({ workerId: 'bad id' })).toThrow(/workerId/);
    const err = (() => {
      try {
        executorOptions({ workerId: 'w', readyTimeoutMs: 1.5 });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(InfraError);
    expect((err as InfraError).component).toBe('config');
  });
});
