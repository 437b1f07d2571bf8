import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/command.js';
import { TASK_EXIT, taskExitCode, withTaskExitCodes } from '../../src/cli/task-exit-code.js';
import { InfraError } from '../../src/domain/infra-error.js';
import { TASK_STATUSES } from '../../src/domain/task-result.js';
import { BrokerUnreachableError } from '../../src/kafka/client-errors.js';

describe('exit codes of berth run / submit --wait', () => {
  it('pass a FAILED task’s exit code through', () => {
    expect(taskExitCode({ status: 'SUCCEEDED', exitCode: 0 })).toBe(0);
    expect(taskExitCode({ status: 'FAILED', exitCode: 3 })).toBe(3);
    expect(taskExitCode({ status: 'FAILED', exitCode: 255 })).toBe(255);
    expect(taskExitCode({ status: 'FAILED', exitCode: 256 + 7 })).toBe(7); // as a shell truncates
    expect(taskExitCode({ status: 'FAILED', exitCode: null })).toBe(1);
    expect(taskExitCode({ status: 'FAILED', exitCode: 0 })).toBe(1); // failed is never 0
  });

  it('give every other outcome its own documented code', () => {
    expect(taskExitCode({ status: 'TIMED_OUT', exitCode: 137 })).toBe(124);
    expect(taskExitCode({ status: 'KILLED', exitCode: null })).toBe(137);
    expect(taskExitCode({ status: 'CANCELLED', exitCode: null })).toBe(130);
    expect(taskExitCode({ status: 'REJECTED', exitCode: null })).toBe(126);
    const nonExit = TASK_STATUSES.filter((s) => s !== 'SUCCEEDED' && s !== 'FAILED').map((status) =>
      taskExitCode({ status, exitCode: null }),
    );
    expect(new Set([...nonExit, TASK_EXIT.berthError, TASK_EXIT.noResult]).size).toBe(nonExit.length + 2);
  });

  it('turn Berth-side failures into 125, never a code a task could have meant', async () => {
    await expect(withTaskExitCodes(async () => 3)).resolves.toBe(3);
    for (const err of [
      new UsageError('bad flag', 2),
      new UsageError('Kafka broker unreachable', 3),
      new BrokerUnreachableError(['127.0.0.1:1'], null),
      new InfraError('publish failed', { retriable: true, component: 'kafka' }),
    ]) {
      const rejected = await withTaskExitCodes(async () => {
        throw err;
      }).catch((e: unknown) => e);
      expect(rejected).toBeInstanceOf(UsageError);
      expect((rejected as UsageError).exitCode).toBe(125);
      expect((rejected as UsageError).message).toBe(err.message);
    }
    const bug = new RangeError('programming error');
    await expect(
      withTaskExitCodes(async () => {
        throw bug;
      }),
    ).rejects.toBe(bug);
  });
});
