import { describe, expect, it } from 'vitest';
import { loadWorkerConfig } from '../../src/config/worker-config.js';
import { InfraError } from '../../src/domain/infra-error.js';

describe('loadWorkerConfig', () => {
  it('has working defaults and is frozen', () => {
    const c = loadWorkerConfig({}, {});
    expect(c.brokers).toEqual(['127.0.0.1:9092']);
    expect(c.topicPrefix).toBe('berth');
    expect(c.payloadCapBytes).toBe(64 * 1024);
    expect(c.stdoutCapBytes).toBe(1024 * 1024);
    expect(c.workerId).toMatch(/-\d+-/);
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.brokers)).toBe(true);
  });

  it('reads BERTH_* env and lets flags win', () => {
    const env = {
      BERTH_SLOTS: '4',
      BERTH_KAFKA_BROKERS: 'a:1,b:2',
      BERTH_WORKER_ID: 'w-env',
      BERTH_METRICS_PORT: '0',
    };
    const c = loadWorkerConfig({ slots: '8' }, env);
    expect(c.slots).toBe(8);
    expect(c.brokers).toEqual(['a:1', 'b:2']);
    expect(c.workerId).toBe('w-env');
    expect(c.metricsPort).toBe(0);
  });

  it('call socket: a new directory by default, an explicit one, a volume with it, or off', () => {
    expect(loadWorkerConfig({}, {}).callSocket).toEqual({ dir: null, volume: null });
    expect(loadWorkerConfig({ callSocketDir: 'off' }, {}).callSocket).toBeNull();
    const inContainer = loadWorkerConfig(
      {},
      { BERTH_CALL_SOCKET_DIR: '/run/berth-call', BERTH_CALL_SOCKET_VOLUME: 'berth-call' },
    );
    expect(inContainer.callSocket).toEqual({ dir: '/run/berth-call', volume: 'berth-call' });
    const bad: [Record<string, string>, RegExp][] = [
      [{ callSocketVolume: 'v' }, /needs --call-socket-dir/],
      [{ callSocketDir: 'off', callSocketVolume: 'v' }, /with --call-socket-dir off/],
      [{ callSocketDir: 'relative/dir' }, /absolute path/],
      [{ callSocketDir: `/${'d'.repeat(100)}` }, /too long for a Unix socket path/],
    ];
    for (const [flags, message] of bad) expect(() => loadWorkerConfig(flags, {})).toThrow(message);
  });

  it('parses container labels', () => {
    expect(loadWorkerConfig({ containerLabels: 'berth.test=1,x=y' }, {}).containerLabels).toEqual({
      'berth.test': '1',
      x: 'y',
    });
    expect(() => loadWorkerConfig({ containerLabels: 'nope' }, {})).toThrow(/container-labels/);
  });

  it('reads an explicit installation id; default null (cluster id + prefix, resolved at start)', () => {
    expect(loadWorkerConfig({}, {}).installationId).toBeNull();
    expect(loadWorkerConfig({}, { BERTH_INSTALLATION_ID: 'prod-eu/berth' }).installationId).toBe(
      'prod-eu/berth',
    );
    expect(loadWorkerConfig({ installationId: 'a' }, { BERTH_INSTALLATION_ID: 'b' }).installationId).toBe(
      'a',
    );
  });

  it.each([
    [{ installationId: 'has space' }, /--installation-id \/ BERTH_INSTALLATION_ID/],
    [{ slots: '0' }, /--slots \/ BERTH_SLOTS must be an integer/],
    [{ slots: 'two' }, /BERTH_SLOTS/],
    [{ brokers: 'localhost' }, /host:port/],
    [{ topicPrefix: 'a b' }, /topic-prefix/],
    [
      { defaultMemoryBytes: String(4 * 2 ** 30), memoryBudgetBytes: String(2 ** 30) },
      /exceeds the memory budget/,
    ],
    [{ retryBaseDelayMs: '10', retryMaxDelayMs: '5' }, /retry base delay/],
  ])('rejects %o with one clear line', (flags, message) => {
    try {
      loadWorkerConfig(flags, {});
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(InfraError);
      expect((err as Error).message).toMatch(message);
      expect((err as Error).message).not.toContain('\n');
    }
  });
});
