/**
 * Per-task spans: one CONSUMER span `process <topic>` per task attempt, child of the producer's
 * W3C context from the Kafka headers, with one child span per phase. Uses the global tracer
 * provider, so it is a cheap no-op unless a tracing SDK (or a test provider) is registered.
 */
import {
  type Context,
  ProxyTracerProvider,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { noOpTelemetry } from '../domain/no-op-telemetry.js';
import type { TaskStatus } from '../domain/task-result.js';
import type { TaskPhase, TaskSpan } from '../domain/telemetry-port.js';
import {
  ATTR,
  MESSAGING_SYSTEM_KAFKA,
  OPERATION_PROCESS,
  PHASE_SPAN,
  type SpanPhase,
  TRACER_NAME,
  taskSpanName,
} from './span-names.js';
import { extractTraceContext } from './trace-context.js';

export interface TaskTracerOptions {
  readonly workerId: string;
  readonly consumerGroup: string;
  readonly version: string;
}

export interface TaskSpanAttrs {
  readonly taskId: string;
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

/** Creates task spans; never throws (tracing must not break task handling). */
export class TaskTracer {
  readonly #opts: TaskTracerOptions;

  constructor(opts: TaskTracerOptions) {
    this.#opts = opts;
  }

  startTask(headers: Readonly<Record<string, string>>, attrs: TaskSpanAttrs): TaskSpan {
    // No tracer provider registered: every span would be a no-op, so skip building one (its
    // attributes, the parent context, the span context) — a per-task cost of the worker path.
    if (!tracingActive()) return NO_SPAN;
    const tracer = trace.getTracer(TRACER_NAME, this.#opts.version);
    const parent = extractTraceContext(headers);
    const span = tracer.startSpan(
      taskSpanName(attrs.topic),
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          [ATTR.messagingSystem]: MESSAGING_SYSTEM_KAFKA,
          [ATTR.destinationName]: attrs.topic,
          [ATTR.kafkaPartition]: attrs.partition,
          [ATTR.destinationPartitionId]: String(attrs.partition),
          [ATTR.kafkaOffset]: Number(attrs.offset),
          [ATTR.messageId]: attrs.taskId,
          [ATTR.operationType]: OPERATION_PROCESS,
          [ATTR.operationName]: OPERATION_PROCESS,
          [ATTR.consumerGroup]: this.#opts.consumerGroup,
          [ATTR.taskId]: attrs.taskId,
          [ATTR.workerId]: this.#opts.workerId,
        },
      },
      parent,
    );
    return new OtelTaskSpan(tracer, span);
  }
}

const NO_SPAN: TaskSpan = noOpTelemetry.startTask({}, { taskId: '', topic: '', partition: 0, offset: '0' });

/**
 * False while no tracer provider is registered (the API's global proxy has no delegate); checked
 * per task, so a provider registered after the worker started is used from then on.
 */
function tracingActive(): boolean {
  const provider = trace.getTracerProvider();
  return !(provider instanceof ProxyTracerProvider) || provider.getDelegateTracer(TRACER_NAME) !== undefined;
}

/** A task span plus the currently open phase child span. */
class OtelTaskSpan implements TaskSpan {
  readonly #tracer: Tracer;
  readonly #span: Span;
  readonly #ctx: Context;
  #phase: Span | null;
  #phaseName: SpanPhase = 'consume';
  #phaseStartMs: number;
  #ended = false;

  constructor(tracer: Tracer, span: Span) {
    this.#tracer = tracer;
    this.#span = span;
    this.#ctx = trace.setSpan(ROOT_CONTEXT, span);
    this.#phaseStartMs = Date.now();
    this.#phase = this.#openPhase('consume', this.#phaseStartMs);
  }

  phase(phase: TaskPhase, atMs?: number): void {
    if (this.#ended || phase === this.#phaseName) return; // already in it: one span per phase
    const at = Math.max(atMs ?? Date.now(), this.#phaseStartMs);
    this.#phase?.end(at);
    this.#phaseName = phase;
    this.#phaseStartMs = at;
    this.#phase = this.#openPhase(phase, at);
  }

  setAttributes(attrs: Readonly<Record<string, string | number | boolean>>): void {
    if (this.#ended) return;
    this.#span.setAttributes(attrs);
  }

  end(status: TaskStatus | 'RETRY' | 'DLQ', error?: string): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#phase?.end();
    this.#phase = null;
    this.#span.setAttribute(ATTR.taskStatus, status);
    if (status === 'SUCCEEDED') {
      this.#span.setStatus({ code: SpanStatusCode.OK });
    } else {
      this.#span.setAttribute(ATTR.errorType, status);
      this.#span.setStatus({ code: SpanStatusCode.ERROR, message: error ?? status });
    }
    this.#span.end();
  }

  /** No child spans for a non-recording (unsampled or no-SDK) task span: nothing would be kept. */
  #openPhase(phase: SpanPhase, startMs: number): Span | null {
    if (!this.#span.isRecording()) return null;
    return this.#tracer.startSpan(
      PHASE_SPAN[phase],
      { kind: SpanKind.INTERNAL, startTime: startMs },
      this.#ctx,
    );
  }
}
