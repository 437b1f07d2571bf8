import { describe, expect, it } from 'vitest';
import { FrameLineReader, FrameTooLargeError } from '../../src/containers/frame-line-reader.js';
import { encodeTaskFrame, maxFrameBytes, parseLauncherFrame } from '../../src/containers/launcher-frames.js';
import type { ExecutionRequest } from '../../src/domain/executor-port.js';

describe('FrameLineReader', () => {
  it('splits lines across chunk boundaries', () => {
    const r = new FrameLineReader(100);
    expect(r.push(Buffer.from('{"a":1}\n{"b"'))).toEqual(['{"a":1}']);
    expect(r.bufferedBytes).toBe(4);
    expect(r.push(Buffer.from(':2}\n\n{"c":3}\n'))).toEqual(['{"b":2}', '', '{"c":3}']);
    expect(r.bufferedBytes).toBe(0);
  });

  it('throws as soon as an unfinished line passes the cap, holding no more than the cap', () => {
    const r = new FrameLineReader(10);
    r.push(Buffer.from('12345'));
    expect(() => r.push(Buffer.from('678901'))).toThrow(FrameTooLargeError);
    expect(r.bufferedBytes).toBe(0);
  });

  it('accepts a line of exactly the cap', () => {
    const r = new FrameLineReader(5);
    expect(r.push(Buffer.from('12345\n'))).toEqual(['12345']);
  });
});

describe('launcher frames', () => {
  it('parses ready, started and result frames', () => {
    expect(parseLauncherFrame('{"type":"ready"}')).toEqual({ type: 'ready' });
    expect(parseLauncherFrame('{"type":"started","atMs":42}')).toEqual({ type: 'started', atMs: 42 });
    const r = parseLauncherFrame(
      '{"type":"result","exitCode":3,"signal":null,"timedOut":false,"oomKilled":false,"spawnError":null,' +
        '"stdoutB64":"aGk=","stderrB64":"","stdoutTruncated":true,"stderrTruncated":false,"stdoutBytes":9,' +
        '"stderrBytes":0,"outputs":[{"name":"a/b.txt","dataB64":"eA=="}],"outputsTruncated":false,' +
        '"startedAtMs":1,"finishedAtMs":2}',
    );
    expect(r).toMatchObject({
      type: 'result',
      exitCode: 3,
      stdoutTruncated: true,
      outputs: [{ name: 'a/b.txt' }],
    });
  });

  it('rejects malformed frames', () => {
    expect(() => parseLauncherFrame('not json')).toThrow();
    expect(() => parseLauncherFrame('{"type":"bogus"}')).toThrow(/unknown frame type/);
    expect(() => parseLauncherFrame('{"type":"result","exitCode":"3"}')).toThrow(/exitCode/);
    expect(() => parseLauncherFrame('{"type":"result","outputs":[{"name":"x"}]}')).toThrow(/outputs\[0\]/);
  });

  it('encodes the task frame as one line with base64 payload and code', () => {
    const req = {
      taskId: 't',
      attempt: 2,
      command: ['echo', 'hi'],
      env: { A: 'b' },
      payload: new Uint8Array([0, 255, 10]),
      codeTar: null,
      timeoutMs: 1000,
      stdoutCapBytes: 10,
      stderrCapBytes: 20,
      outputCapBytes: 30,
    } as unknown as ExecutionRequest;
    const line = encodeTaskFrame(req);
    expect(line.endsWith('\n')).toBe(true);
    expect(line.indexOf('\n')).toBe(line.length - 1);
    const frame = JSON.parse(line);
    expect(frame).toMatchObject({ taskId: 't', attempt: 2, codeTarB64: null, stderrCapBytes: 20 });
    expect(Buffer.from(frame.payloadB64, 'base64')).toEqual(Buffer.from([0, 255, 10]));
  });

  it('caps frames at the base64 size of the caps plus slack', () => {
    const cap = maxFrameBytes({ stdoutCapBytes: 3 * 1024, stderrCapBytes: 0, outputCapBytes: 0 });
    expect(cap).toBe(4 * 1024 + 256 * 1024);
  });
});
