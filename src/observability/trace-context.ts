/**
 * W3C trace context (`traceparent`, `tracestate`) carried in Kafka message headers. Uses the W3C
 * propagator directly, so the header format does not depend on which global propagator (if any)
 * the process registered.
 */
import {
  type Context,
  context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  ROOT_CONTEXT,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';

const propagator = new W3CTraceContextPropagator();

/** The header names this module reads and writes. */
export const TRACE_HEADERS = ['traceparent', 'tracestate'] as const;

/**
 * Writes `traceparent` (and `tracestate` when present) of the active context into `headers`.
 * A no-op when there is no active, valid span context (e.g. tracing disabled).
 */
export function injectTraceHeaders(headers: Record<string, string>): void {
  propagator.inject(context.active(), headers, defaultTextMapSetter);
}

/**
 * Returns a context whose remote parent is the span context in `headers` (header names are matched
 * case-insensitively). Returns the root context when the headers carry no valid trace context.
 */
export function extractTraceContext(headers: Readonly<Record<string, string | undefined>>): Context {
  const carrier: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) carrier[name.toLowerCase()] = value;
  }
  return propagator.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter);
}
