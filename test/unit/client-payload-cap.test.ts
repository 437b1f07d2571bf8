import { describe, expect, it } from 'vitest';
import { BerthClient } from '../../src/client/berth-client.js';
import { PayloadTooLargeError } from '../../src/client/client-errors.js';
import { checkPayloadCap, payloadCapOf, toTaskEvent } from '../../src/client/task-input.js';
import { DEFAULT_PAYLOAD_CAP_BYTES, WORKER_SETTINGS } from '../../src/config/worker-settings.js';
import * as sdk from '../../src/index.js';
import type { KafkaInstance } from '../../src/kafka/client-kafka.js';

/** A Kafka instance that records every connect, send and consumer/admin creation. */
function recordingKafka(): { kafka: KafkaInstance; calls: string[] } {
  const calls: string[] = [];
  const producer = {
    connect: async () => {
      calls.push('producer.connect');
    },
    send: async () => {
      calls.push('producer.send');
      return [];
    },
    disconnect: async () => {},
  };
  const kafka = {
    producer: () => producer,
    consumer: () => {
      calls.push('consumer');
      throw new Error('consumer must not be created');
    },
    admin: () => {
      calls.push('admin');
      throw new Error('admin must not be created');
    },
  };
  return { kafka: kafka as unknown as KafkaInstance, calls };
}

const over = new Uint8Array(DEFAULT_PAYLOAD_CAP_BYTES + 1);

describe('payload cap in the SDK', () => {
  it('the default is the worker setting’s default, exported from the SDK', () => {
    expect(WORKER_SETTINGS.payloadCapBytes.fallback).toBe(DEFAULT_PAYLOAD_CAP_BYTES);
    expect(sdk.DEFAULT_PAYLOAD_CAP_BYTES).toBe(DEFAULT_PAYLOAD_CAP_BYTES);
    expect(sdk.PayloadTooLargeError).toBe(PayloadTooLargeError);
    expect(payloadCapOf(undefined)).toBe(DEFAULT_PAYLOAD_CAP_BYTES);
  });

  it('submit refuses a payload over the cap before connecting, naming size and cap', async () => {
    const { kafka, calls } = recordingKafka();
    const client = new BerthClient({ kafka });
    const err = await client.submit({ id: 't1', code: 'pkg', payload: over }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PayloadTooLargeError);
    expect(err).toBeInstanceOf(TypeError);
    expect(err).toMatchObject({
      taskId: 't1',
      payloadBytes: over.byteLength,
      capBytes: DEFAULT_PAYLOAD_CAP_BYTES,
    });
    expect((err as Error).message).toBe(
      `payload of task t1 is ${over.byteLength} bytes, over the payload cap of ${DEFAULT_PAYLOAD_CAP_BYTES} bytes (workers dead-letter larger payloads as too_large)`,
    );
    expect(calls).toEqual([]);
    await client.close();
  });

  it('a payload exactly at the cap is sent (the worker accepts ≤ cap)', async () => {
    const { kafka, calls } = recordingKafka();
    const client = new BerthClient({ kafka });
    await client.submit({ code: 'pkg', payload: new Uint8Array(DEFAULT_PAYLOAD_CAP_BYTES) });
    expect(calls).toEqual(['producer.connect', 'producer.send']);
    await client.close();
  });

  it('submitMany sends nothing when one task of the batch is over the cap', async () => {
    const { kafka, calls } = recordingKafka();
    const client = new BerthClient({ kafka });
    await expect(
      client.submitMany([
        { code: 'a', payload: 'small' },
        { id: 'big', code: 'b', payload: over },
      ]),
    ).rejects.toThrow(/payload of task big is 65537 bytes, over the payload cap of 65536 bytes/);
    expect(calls).toEqual([]);
    await client.close();
  });

  it('submitAndWait refuses before starting its results reader', async () => {
    const { kafka, calls } = recordingKafka();
    const client = new BerthClient({ kafka });
    await expect(client.submitAndWait({ code: 'pkg', payload: over }, { timeoutMs: 1000 })).rejects.toThrow(
      PayloadTooLargeError,
    );
    expect(calls).toEqual([]);
    await client.close();
  });

  it('strings and JSON count by their encoded bytes', async () => {
    const { kafka } = recordingKafka();
    const client = new BerthClient({ kafka, payloadCapBytes: 4 });
    await expect(client.submit({ code: 'pkg', payload: 'ééé' })).rejects.toThrow(
      /is 6 bytes, over the payload cap of 4/,
    );
    await expect(client.submit({ code: 'pkg', payload: { a: 1 } })).rejects.toThrow(/is 7 bytes/);
    await expect(client.submit({ code: 'pkg', payload: 'éé' })).resolves.toEqual(expect.any(String));
    await client.close();
  });

  it('payloadCapBytes raises or lowers the cap; out-of-bounds values are a RangeError', async () => {
    const { kafka, calls } = recordingKafka();
    const client = new BerthClient({ kafka, payloadCapBytes: 2 * DEFAULT_PAYLOAD_CAP_BYTES });
    await client.submit({ code: 'pkg', payload: over });
    expect(calls).toContain('producer.send');
    await client.close();
    const spec = WORKER_SETTINGS.payloadCapBytes;
    for (const bad of [0, -1, 1.5, spec.max + 1, Number.NaN]) {
      expect(() => new BerthClient({ kafka, payloadCapBytes: bad })).toThrow(RangeError);
    }
    expect(() => payloadCapOf(0)).toThrow(`payloadCapBytes must be an integer in [1, ${spec.max}], got 0`);
  });

  it('checkPayloadCap compares the event payload with the cap', () => {
    const event = toTaskEvent({ id: 'x', code: 'pkg', payload: new Uint8Array(10) });
    expect(() => checkPayloadCap(event, 10)).not.toThrow();
    expect(() => checkPayloadCap(event, 9)).toThrow(PayloadTooLargeError);
  });
});
