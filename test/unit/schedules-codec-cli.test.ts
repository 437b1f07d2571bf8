import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/command.js';
import { scheduleInputFromArgs } from '../../src/cli/commands/schedule.js';
import { scheduleCodec } from '../../src/codecs/schedule-codec.js';
import { scheduleTickCodec } from '../../src/codecs/schedule-tick-codec.js';
import { buildSchedule } from '../../src/schedules/schedule-client.js';

describe('schedule records', () => {
  it('a schedule round-trips through its codec (schema id 9001), the task template inside', () => {
    const s = buildSchedule(
      {
        name: 'nightly.report',
        cron: '0 3 * * *',
        timeZone: 'Europe/Berlin',
        task: { code: 'report@4', payload: { day: 'yesterday' }, priority: 2, labels: { team: 'x' } },
        missedTicks: 'SKIP',
      },
      1_700_000_000_000,
      65_536,
    );
    const bytes = scheduleCodec.encode(s);
    expect(bytes.readUInt32BE(1)).toBe(9001);
    const back = scheduleCodec.decode(bytes);
    expect(back).toEqual({ ...s, task: { ...s.task, payload: Buffer.from(s.task.payload) } });
    expect(back.task.code).toEqual({ name: 'report', revision: 4 });
    expect(Buffer.from(back.task.payload).toString()).toBe('{"day":"yesterday"}');
  });

  it('a tick round-trips (schema id 10001)', () => {
    const tick = { name: 'a', tickMs: 5, taskId: 'sched:a:5', firedAtMs: 7, workerId: 'w' };
    const bytes = scheduleTickCodec.encode(tick);
    expect(bytes.readUInt32BE(1)).toBe(10001);
    expect(scheduleTickCodec.decode(bytes)).toEqual(tick);
  });

  it('buildSchedule refuses bad names, timings, tasks and payloads over the cap', () => {
    const task = { inline: { stack: 'shell', command: ['true'] } };
    expect(() => buildSchedule({ name: 'a b', everyMs: 1000, task }, 0, 100)).toThrow(/schedule name 'a b'/);
    expect(() => buildSchedule({ name: 'a', task }, 0, 100)).toThrow(/exactly one of cron and every/);
    expect(() => buildSchedule({ name: 'a', everyMs: 1000, task: {} }, 0, 100)).toThrow(TypeError);
    expect(() =>
      buildSchedule({ name: 'a', everyMs: 1000, task: { ...task, payload: 'x'.repeat(101) } }, 0, 100),
    ).toThrow(/payload/i);
  });
});

describe('berth schedule create arguments', () => {
  it('--every with an inline command after --command', () => {
    const { input } = scheduleInputFromArgs([
      'tick',
      '--every',
      '30s',
      '--inline',
      '--stack',
      'python-3.11',
      '--label',
      'k=v',
      '--command',
      'python3',
      '-c',
      'print(1)',
    ]);
    expect(input).toMatchObject({
      name: 'tick',
      everyMs: 30_000,
      cron: undefined,
      task: { inline: { stack: 'python-3.11', command: ['python3', '-c', 'print(1)'] }, labels: { k: 'v' } },
    });
  });

  it('--cron with --tz and a code package, --missed all', () => {
    const { input, replace } = scheduleInputFromArgs([
      'r',
      '--cron',
      '0 9 * * 1-5',
      '--tz',
      'Europe/Berlin',
      'report@2',
      '--missed',
      'all',
      '--replace',
    ]);
    expect(input).toMatchObject({
      cron: '0 9 * * 1-5',
      timeZone: 'Europe/Berlin',
      task: { code: 'report@2' },
    });
    expect(input.missedTicks).toBe('ALL');
    expect(replace).toBe(true);
  });

  it('usage errors: unitless duration, both or neither timing, --tz without cron, missing command', () => {
    const bad = (args: string[], re: RegExp) => {
      expect(() => scheduleInputFromArgs(args)).toThrow(UsageError);
      expect(() => scheduleInputFromArgs(args)).toThrow(re);
    };
    bad(['a', '--every', '30', 'code'], /needs a unit/);
    bad(['a', 'code'], /exactly one of --cron/);
    bad(['a', '--every', '1s', '--cron', '* * * * *', 'code'], /exactly one of --cron/);
    bad(['a', '--every', '1s', '--tz', 'UTC', 'code'], /--tz only applies to --cron/);
    bad(['a', '--every', '1s', '--inline', '--stack', 'shell'], /needs a command/);
    bad(['a', '--every', '1s'], /expected CODE/);
    bad(['a', '--every', '1s', 'code', '--missed', 'never'], /not one of latest, skip, all/);
  });
});
