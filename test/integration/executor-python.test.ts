import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContainerExecutor } from '../../src/containers/container-executor.js';
import { DockerodeEngine } from '../../src/containers/dockerode-engine.js';
import { executorOptions } from '../../src/containers/executor-options.js';
import type { ExecutionRequest } from '../../src/domain/executor-port.js';
import { executionRequest, localImageId, removeLeftovers, testRun } from '../support/executor-fixture.js';

/** The executor with the python-3.11 stack: a language runtime under the default limits. */
const IMAGE = 'berth/stack-python-3.11:current';
const MIB = 1024 * 1024;
const { run, labels } = testRun();
const engine = new DockerodeEngine();
const options = executorOptions({ workerId: `test-${run}`, extraLabels: labels });
const executor = new ContainerExecutor(engine, options);
const never = new AbortController().signal;
let imageId: string;

function python(code: string, over: Partial<ExecutionRequest> = {}): ExecutionRequest {
  return executionRequest(
    {
      taskId: `py-${Math.random().toString(36).slice(2)}`,
      stack: 'python-3.11',
      imageId,
      command: ['python3', '-c', code],
      env: { GREETING: 'hi' },
      payload: new TextEncoder().encode('[1, 2, 3]'),
      timeoutMs: 20_000,
    },
    options.defaultLimits,
    over,
  );
}

const text = (b: Uint8Array) => new TextDecoder().decode(b);

beforeAll(() => {
  imageId = localImageId(IMAGE);
});

afterAll(async () => {
  await executor.close();
  expect(await removeLeftovers(engine, labels)).toEqual([]);
});

describe('fresh executor with the python-3.11 stack', () => {
  it('reads the payload and env, writes an output file', async () => {
    const code = [
      'import json, os, sys',
      'data = json.load(open(os.environ["PAYLOAD_FILE"]))',
      'open("/task/out/sum.txt", "w").write(str(sum(data)))',
      'print(os.environ["GREETING"], os.environ["TASK_ID"].startswith("py-"), sys.version_info[:2])',
    ].join('\n');
    const o = await executor.execute(python(code), never);
    expect(o.status, text(o.stderr)).toBe('SUCCEEDED');
    expect(text(o.stdout)).toBe('hi True (3, 11)\n');
    expect(o.outputs.map((f) => [f.name, text(f.data)])).toEqual([['sum.txt', '6']]);
  });

  it('kills a 1 GiB allocation under a 64 MiB limit as out of memory', async () => {
    const o = await executor.execute(
      python('b = b"x" * (1 << 30)\nprint(len(b))', { memoryBytes: 64 * MIB }),
      never,
    );
    expect([o.status, o.reason], text(o.stderr)).toEqual([
      'KILLED',
      `out of memory (limit ${64 * MIB} bytes)`,
    ]);
  });

  it('cannot reach the network without asking for it', async () => {
    const code = 'import socket\nsocket.create_connection(("1.1.1.1", 53), timeout=3)\nprint("connected")';
    const o = await executor.execute(python(code), never);
    expect(o.status).toBe('FAILED');
    expect(text(o.stdout)).toBe('');
    expect(text(o.stderr)).toMatch(/OSError|unreachable/i);
  });
});
