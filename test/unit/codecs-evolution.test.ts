import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createCodePackageCodec } from '../../src/codecs/code-package-codec.js';
import { parseSchema, SCHEMAS_DIR, SchemaCatalog } from '../../src/codecs/schema-catalog.js';
import { createTaskEventCodec } from '../../src/codecs/task-event-codec.js';
import { createTaskResultCodec } from '../../src/codecs/task-result-codec.js';
import type { CodePackage } from '../../src/domain/code-package.js';
import type { TaskEvent } from '../../src/domain/task-event.js';
import type { TaskResult } from '../../src/domain/task-result.js';

/**
 * Schema evolution both ways. v1 is the shipped baseline (schemas/*.v1.avsc); v2 is a plausible
 * next version that appends one optional field, the only kind of change Berth allows.
 */
function v1Schema(file: string): Record<string, unknown> & { fields: object[] } {
  return JSON.parse(readFileSync(new URL(file, SCHEMAS_DIR), 'utf8'));
}

function withField(file: string, field: object): object {
  const s = v1Schema(file);
  return { ...s, fields: [...s.fields, field] };
}

const EVENT_V2 = withField('task-event.v1.avsc', {
  name: 'deadlineMs',
  type: ['null', 'long'],
  default: null,
  doc: 'Do not start after this epoch ms.',
});
const RESULT_V2 = withField('task-result.v1.avsc', {
  name: 'tenant',
  type: ['null', 'string'],
  default: null,
  doc: 'Tenant the task ran for.',
});

function catalog(withV2: boolean): SchemaCatalog {
  const c = new SchemaCatalog();
  c.add({
    fullName: 'io.berth.TaskEvent',
    version: 1,
    id: 1001,
    type: parseSchema(v1Schema('task-event.v1.avsc')),
  });
  c.add({
    fullName: 'io.berth.TaskResult',
    version: 1,
    id: 2001,
    type: parseSchema(v1Schema('task-result.v1.avsc')),
  });
  if (withV2) {
    c.add({ fullName: 'io.berth.TaskEvent', version: 2, id: 1002, type: parseSchema(EVENT_V2) });
    c.add({ fullName: 'io.berth.TaskResult', version: 2, id: 2002, type: parseSchema(RESULT_V2) });
  }
  return c;
}

const event: TaskEvent = {
  id: 'e-1',
  code: { name: 'validator', revision: null },
  inline: null,
  payload: Buffer.from('{"amount":10}'),
  priority: 1,
  timeoutMs: 5000,
  maxAttempts: 2,
  attempt: 1,
  memoryBytes: null,
  network: null,
  labels: { k: 'v' },
  createdAtMs: 42,
};

const result: TaskResult = {
  id: 'e-1',
  attempt: 1,
  status: 'SUCCEEDED',
  exitCode: 0,
  reason: null,
  stdout: Buffer.from('ok'),
  stdoutTruncated: false,
  stderr: Buffer.alloc(0),
  stderrTruncated: false,
  outputs: [],
  outputsTruncated: false,
  stack: 'node-20',
  stackImage: null,
  codeName: 'validator',
  codeRevision: 1,
  codeDigest: null,
  workerId: 'w',
  sourceTopic: 'berth.tasks',
  sourcePartition: 0,
  sourceOffset: '17',
  queueWaitMs: 1,
  startLatencyMs: 2,
  runMs: 3,
  finishedAtMs: 4,
  labels: {},
};

describe('TaskEvent evolution', () => {
  const v1 = createTaskEventCodec(catalog(false));
  const v2 = createTaskEventCodec(catalog(true));

  it('writers frame with their own version id', () => {
    expect(v1.encode(event).readUInt32BE(1)).toBe(1001);
    expect(v2.encode(event).readUInt32BE(1)).toBe(1002);
  });

  it('backward: a v2 reader reads v1 bytes, the new field takes its default', () => {
    const back = v2.decode(v1.encode(event)) as TaskEvent & { deadlineMs?: number | null };
    expect(back.id).toBe('e-1');
    expect(back.deadlineMs).toBeNull();
    expect(Buffer.from(back.payload).toString()).toBe('{"amount":10}');
  });

  it('forward: a v1 reader that never saw v2 reads v2 bytes, ignoring the new field', () => {
    const v2Bytes = v2.encode({ ...event, deadlineMs: 1_800_000_000_000 } as TaskEvent);
    expect(v2Bytes.length).toBeGreaterThan(v1.encode(event).length);
    const back = v1.decode(v2Bytes);
    expect(back).toMatchObject({ id: 'e-1', timeoutMs: 5000, labels: { k: 'v' }, createdAtMs: 42 });
    expect('deadlineMs' in back).toBe(false);
  });

  it('forward: the new field really travels to a v2 reader', () => {
    const back = v2.decode(v2.encode({ ...event, deadlineMs: 7 } as TaskEvent)) as TaskEvent & {
      deadlineMs: number;
    };
    expect(back.deadlineMs).toBe(7);
  });
});

describe('TaskResult v2 as shipped (returnValue, id 2002)', () => {
  const shipped = (versions: number[]) => {
    const c = new SchemaCatalog();
    for (const v of versions) {
      c.add({
        fullName: 'io.berth.TaskResult',
        version: v,
        id: 2000 + v,
        type: parseSchema(v1Schema(`task-result.v${v}.avsc`)),
      });
    }
    return createTaskResultCodec(c);
  };
  const v1 = shipped([1]);
  const v2 = shipped([1, 2]);
  const value = { kind: 'STRING' as const, data: Buffer.from('approved') };

  it('backward: a v2 reader reads v1 bytes with returnValue null', () => {
    const bytes = v1.encode(result);
    expect(bytes.readUInt32BE(1)).toBe(2001);
    expect(v2.decode(bytes).returnValue).toBeNull();
  });

  it('forward: a v1 reader reads v2 bytes carrying a returnValue and ignores it', () => {
    const bytes = v2.encode({ ...result, returnValue: value });
    expect(bytes.readUInt32BE(1)).toBe(2002);
    const back = v1.decode(bytes);
    expect(back).toEqual(result);
    expect('returnValue' in back).toBe(false);
  });

  it('the value travels to a v2 reader', () => {
    const back = v2.decode(v2.encode({ ...result, returnValue: value }));
    expect(back.returnValue?.kind).toBe('STRING');
    expect(Buffer.from(back.returnValue?.data ?? []).toString()).toBe('approved');
  });
});

describe('TaskResult evolution', () => {
  const v1 = createTaskResultCodec(catalog(false));
  const v2 = createTaskResultCodec(catalog(true));

  it('backward: v2 reader, v1 bytes', () => {
    const back = v2.decode(v1.encode(result)) as TaskResult & { tenant: string | null };
    expect(back.tenant).toBeNull();
    expect(back.status).toBe('SUCCEEDED');
  });

  it('forward: v1 reader, v2 bytes', () => {
    const back = v1.decode(v2.encode({ ...result, tenant: 'acme' } as TaskResult));
    expect(back).toEqual(result);
  });

  it('a v1 reader still rejects an id from a block it does not own', () => {
    const bytes = v2.encode(result);
    bytes.writeUInt32BE(7002, 1);
    expect(() => v1.decode(bytes)).toThrow(/unknown schema id 7002/);
  });
});

describe('CodePackage v2 as shipped (manifest handler, id 5002)', () => {
  const codec = (versions: number[]) => {
    const c = new SchemaCatalog();
    for (const v of versions) {
      c.add({
        fullName: 'io.berth.CodePackage',
        version: v,
        id: 5000 + v,
        type: parseSchema(v1Schema(`code-package.v${v}.avsc`)),
      });
    }
    return createCodePackageCodec(c);
  };
  const pkg: CodePackage = {
    name: 'fn',
    revision: 3,
    digest: `sha256:${'a'.repeat(64)}`,
    manifest: {
      name: 'fn',
      stack: 'node-20',
      command: [],
      timeoutMs: 1000,
      memoryBytes: 64 * 1024 * 1024,
      env: {},
      network: false,
      maxAttempts: 1,
      retryDelayMs: 1000,
      maxConcurrency: 2,
      isolation: 'HOT',
      handler: 'validate.js:handle',
      secrets: [],
    },
    tarball: Buffer.from('tar'),
    createdAtMs: 5,
  };

  it('a v2 reader reads v1 bytes with handler null; a v1 reader reads v2 bytes without it', () => {
    const v1 = codec([1]);
    const v2 = codec([1, 2]);
    const old = v1.encode({ ...pkg, manifest: { ...pkg.manifest, handler: null } });
    expect(old.readUInt32BE(1)).toBe(5001);
    expect(v2.decode(old).manifest.handler).toBeNull();
    const fresh = v2.encode(pkg);
    expect(fresh.readUInt32BE(1)).toBe(5002);
    expect(v2.decode(fresh).manifest.handler).toBe('validate.js:handle');
    expect(v1.decode(fresh).manifest.handler).toBeNull();
  });
});

describe('CodePackage v3 as shipped (manifest secrets by name, id 5003)', () => {
  const codec = (versions: number[]) => {
    const c = new SchemaCatalog();
    for (const v of versions) {
      c.add({
        fullName: 'io.berth.CodePackage',
        version: v,
        id: 5000 + v,
        type: parseSchema(v1Schema(`code-package.v${v}.avsc`)),
      });
    }
    return createCodePackageCodec(c);
  };
  const pkg: CodePackage = {
    name: 'db',
    revision: 1,
    digest: `sha256:${'b'.repeat(64)}`,
    manifest: {
      name: 'db',
      stack: 'node-20',
      command: ['node', 'a.js'],
      timeoutMs: 1000,
      memoryBytes: 64 * 1024 * 1024,
      env: { MODE: 'x' },
      network: false,
      maxAttempts: 1,
      retryDelayMs: 1000,
      maxConcurrency: 0,
      isolation: 'FRESH',
      handler: null,
      secrets: [
        { name: 'DB_PASSWORD', as: 'env' },
        { name: 'TLS_KEY', as: 'file' },
      ],
    },
    tarball: Buffer.from('tar'),
    createdAtMs: 5,
  };

  it('backward: a v3 reader reads v1 and v2 bytes with no secrets', () => {
    for (const old of [1, 2]) {
      const bytes = codec([old]).encode({ ...pkg, manifest: { ...pkg.manifest, secrets: [] } });
      expect(bytes.readUInt32BE(1)).toBe(5000 + old);
      const back = codec([1, 2, 3]).decode(bytes);
      expect(back.manifest.secrets).toEqual([]);
      expect(back.manifest.env).toEqual({ MODE: 'x' });
    }
  });

  it('forward: v1 and v2 readers read v3 bytes without the secrets; v3 round-trips them', () => {
    const fresh = codec([1, 2, 3]).encode(pkg);
    expect(fresh.readUInt32BE(1)).toBe(5003);
    expect(codec([1, 2, 3]).decode(fresh).manifest.secrets).toEqual(pkg.manifest.secrets);
    for (const old of [[1], [1, 2]]) {
      const back = codec(old).decode(fresh);
      expect(back.manifest.secrets).toEqual([]);
      expect(back.manifest.command).toEqual(['node', 'a.js']);
    }
  });
});
