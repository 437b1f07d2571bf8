import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { describeStore, loadConsoleConfig } from '../../src/console/console-config.js';
import { BadQuery, taskFilterOf } from '../../src/console/task-query-params.js';

describe('console settings', () => {
  it('defaults to loopback, port 8780 and a SQLite file per topic prefix', () => {
    const c = loadConsoleConfig({}, { BERTH_TOPIC_PREFIX: 'acme', BERTH_STATE_DIR: '/var/berth' });
    expect(c).toMatchObject({ host: '127.0.0.1', port: 8780, token: null, topicPrefix: 'acme' });
    expect(c.store).toEqual({ kind: 'sqlite', path: '/var/berth/console-acme.sqlite' });
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('requires a token when bound beyond loopback, and a long one', () => {
    expect(() => loadConsoleConfig({ host: '0.0.0.0' }, {})).toThrow(/BERTH_CONSOLE_TOKEN must be set/);
    expect(() => loadConsoleConfig({ host: '0.0.0.0' }, { BERTH_CONSOLE_TOKEN: 'short' })).toThrow(
      /16 characters/,
    );
    expect(loadConsoleConfig({ host: '0.0.0.0' }, { BERTH_CONSOLE_TOKEN: 'x'.repeat(16) }).token).toBe(
      'x'.repeat(16),
    );
  });

  it('takes PostgreSQL from BERTH_CONSOLE_DATABASE_URL and hides its password', () => {
    const c = loadConsoleConfig({}, { BERTH_CONSOLE_DATABASE_URL: 'postgres://u:secret@db:5432/berth' });
    expect(c.store.kind).toBe('postgres');
    expect(describeStore(c.store)).toBe('postgres postgres://u:***@db:5432/berth');
    expect(() => loadConsoleConfig({}, { BERTH_CONSOLE_DATABASE_URL: 'mysql://x' })).toThrow(/postgres/);
    expect(() => loadConsoleConfig({ port: '70000' }, {})).toThrow(/BERTH_CONSOLE_PORT/);
  });
});

describe('task list query parameters', () => {
  it('parses statuses, labels, times and limits', () => {
    const f = taskFilterOf(
      new URLSearchParams(
        'status=failed,timed_out&label=team=red&label=env=prod&from=2025-01-01T00:00:00Z&to=5&limit=10',
      ),
    );
    expect(f).toMatchObject({
      status: ['FAILED', 'TIMED_OUT'],
      labels: { team: 'red', env: 'prod' },
      fromMs: Date.parse('2025-01-01T00:00:00Z'),
      toMs: 5,
      limit: 10,
    });
  });

  it('refuses what it cannot use with a clear message', () => {
    expect(() => taskFilterOf(new URLSearchParams('status=DONE'))).toThrow(BadQuery);
    expect(() => taskFilterOf(new URLSearchParams('label=novalue'))).toThrow(/key=value/);
    expect(() => taskFilterOf(new URLSearchParams('limit=0'))).toThrow(/limit/);
    expect(() => taskFilterOf(new URLSearchParams('from=yesterday'))).toThrow(/ISO 8601/);
  });

  it('documents every query route in docs/console-openapi.yaml', () => {
    const doc = parse(readFileSync(new URL('../../docs/console-openapi.yaml', import.meta.url), 'utf8')) as {
      paths: Record<string, unknown>;
    };
    const served = readFileSync(new URL('../../src/console/console-http.ts', import.meta.url), 'utf8');
    const routes = [...served.matchAll(/case '(GET|POST) ([a-z.]+)((?:\/:id)?(?:\/[a-z]+)?)'/g)].map(
      (m) => `/api/${m[2]}${(m[3] ?? '').replace(':id', '{id}')}`,
    );
    expect(routes.length).toBeGreaterThan(10);
    for (const r of routes.filter((r) => r !== '/api/openapi.yaml'))
      expect(Object.keys(doc.paths)).toContain(r);
  });
});
