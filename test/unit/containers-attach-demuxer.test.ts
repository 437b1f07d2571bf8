import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { AttachDemuxer } from '../../src/containers/attach-demuxer.js';

function frame(stream: number, text: string): Buffer {
  const body = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

function collect() {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const writes = { stdout: 0, stderr: 0 };
  stdout.on('data', (c: Buffer) => {
    out.push(c);
    writes.stdout++;
  });
  stderr.on('data', (c: Buffer) => {
    err.push(c);
    writes.stderr++;
  });
  const demuxer = new AttachDemuxer(stdout, stderr);
  return {
    demuxer,
    writes,
    out: () => Buffer.concat(out).toString(),
    err: () => Buffer.concat(err).toString(),
  };
}

describe('AttachDemuxer', () => {
  const stream = Buffer.concat([
    frame(1, 'hello '),
    frame(2, 'oops\n'),
    frame(1, 'world\n'),
    frame(1, ''),
    frame(1, `${'x'.repeat(3000)}\n`),
    frame(2, 'again\n'),
  ]);

  it('splits a whole stream delivered in one chunk, one write per run of one stream', async () => {
    const c = collect();
    c.demuxer.push(stream);
    await new Promise((r) => setImmediate(r));
    expect(c.out()).toBe(`hello world\n${'x'.repeat(3000)}\n`);
    expect(c.err()).toBe('oops\nagain\n');
    expect(c.writes).toEqual({ stdout: 2, stderr: 2 });
  });

  it('gives the same bytes however the stream is cut into chunks', async () => {
    for (const size of [1, 3, 7, 8, 9, 13, 64, 1000]) {
      const c = collect();
      for (let at = 0; at < stream.length; at += size) c.demuxer.push(stream.subarray(at, at + size));
      await new Promise((r) => setImmediate(r));
      expect(c.out(), `chunks of ${size}`).toBe(`hello world\n${'x'.repeat(3000)}\n`);
      expect(c.err(), `chunks of ${size}`).toBe('oops\nagain\n');
    }
  });

  it('passes everything through as stdout once a header is not a multiplexed one', async () => {
    const c = collect();
    c.demuxer.push(Buffer.concat([frame(1, 'ok '), Buffer.from('plain tty output, no frames')]));
    c.demuxer.push(Buffer.from(' and more'));
    await new Promise((r) => setImmediate(r));
    expect(c.out()).toBe('ok plain tty output, no frames and more');
    expect(c.err()).toBe('');
  });
});
