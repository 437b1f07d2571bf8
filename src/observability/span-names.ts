/**
 * Every span name and attribute key the worker emits, in one place. Task spans follow the
 * OpenTelemetry messaging semantic conventions: a CONSUMER span named `process <topic>`.
 */
import type { TaskPhase } from '../domain/telemetry-port.js';

/** Instrumentation scope name for the worker's tracer. */
export const TRACER_NAME = 'berth-worker';

/** Name of the per-task span: `process <topic>`. */
export function taskSpanName(topic: string): string {
  return `process ${topic}`;
}

/** Phase child spans, in order: consume → wait_slot → start → run → publish. */
export type SpanPhase = 'consume' | TaskPhase;
export const PHASE_SPAN: Readonly<Record<SpanPhase, string>> = {
  consume: 'berth.consume',
  wait_slot: 'berth.wait_slot',
  start: 'berth.start',
  run: 'berth.run',
  publish: 'berth.publish',
};

/** Attribute keys (messaging.* from the OTel messaging conventions, berth.* our own). */
export const ATTR = {
  messagingSystem: 'messaging.system',
  destinationName: 'messaging.destination.name',
  kafkaPartition: 'messaging.kafka.destination.partition',
  destinationPartitionId: 'messaging.destination.partition.id',
  kafkaOffset: 'messaging.kafka.message.offset',
  kafkaMessageKey: 'messaging.kafka.message.key',
  messageId: 'messaging.message.id',
  operationType: 'messaging.operation.type',
  operationName: 'messaging.operation.name',
  consumerGroup: 'messaging.consumer.group.name',
  taskId: 'berth.task.id',
  stack: 'berth.stack',
  taskStatus: 'berth.task.status',
  taskAttempt: 'berth.task.attempt',
  workerId: 'berth.worker.id',
  errorType: 'error.type',
} as const;

export const MESSAGING_SYSTEM_KAFKA = 'kafka';
export const OPERATION_PROCESS = 'process';
