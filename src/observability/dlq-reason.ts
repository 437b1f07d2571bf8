import { isRuleViolation } from '../codecs/codec.js';

/**
 * Bounded categories for `berth_dlq_total{reason}`. Dead-letter reasons arrive as free text
 * (error messages); mapping them to a fixed set keeps the label's cardinality bounded.
 *
 * - `undecodable`: the bytes are not a TaskEvent (no value, not the wire format, unknown or
 *   foreign schema id, corrupt or truncated Avro body)
 * - `invalid`: a decoded TaskEvent that breaks the rules (neither code nor inline, priority or
 *   timeout out of range, …; the codec's `RuleViolationError`)
 * - `too_large`: the record or its payload exceeds the worker's payload cap
 * - `retries_exhausted`: the last allowed attempt ended retriably
 * - `unknown_stack`: the task names a stack not built on the worker
 * - `code_unavailable`: the code package or revision cannot be found or fetched
 * - `other`: anything else
 */
export const DLQ_REASONS = [
  'undecodable',
  'invalid',
  'too_large',
  'retries_exhausted',
  'unknown_stack',
  'code_unavailable',
  'other',
] as const;
export type DlqReason = (typeof DLQ_REASONS)[number];

const RULES: readonly (readonly [RegExp, DlqReason])[] = [
  // The codec's rule violation message, `invalid TaskEvent: <rule>`, whatever the rule names.
  [/^invalid [A-Z]\w*: /, 'invalid'],
  [/undecodable|decode|deseriali[sz]|avro|magic byte|schema id|wire format|malformed/i, 'undecodable'],
  [/too large|too big|exceeds|cap(acity)? exceeded|payload size|max.?bytes/i, 'too_large'],
  [/exhaust|max(imum)? attempts|attempts? (used|reached)|retries/i, 'retries_exhausted'],
  [/unknown stack|stack .*not (found|known|built)|no such stack|no image/i, 'unknown_stack'],
  [
    /code package|revision|code .*not (found|available)|digest mismatch|code_unavailable/i,
    'code_unavailable',
  ],
  [/invalid|validation|violat|missing field|required|out of range|bad request/i, 'invalid'],
];

/**
 * Maps a reason to its bounded category: a category name itself, or a `<category>: detail` prefix
 * (the worker's convention) is taken as is; other free text is classified by keywords.
 */
export function dlqReasonCategory(reason: string): DlqReason {
  const head = reason.split(':', 1)[0]?.trim().toLowerCase() ?? '';
  const exact = DLQ_REASONS.find((r) => r === head);
  if (exact) return exact;
  for (const [pattern, category] of RULES) {
    if (pattern.test(reason)) return category;
  }
  return 'other';
}

/**
 * The dead-letter reason for a record the event codec refused: `invalid: <message>` for a decoded
 * event that breaks the rules (`RuleViolationError`), `undecodable: <message>` for anything else.
 */
export function decodeFailureReason(err: unknown): string {
  const category: DlqReason = isRuleViolation(err) ? 'invalid' : 'undecodable';
  return `${category}: ${err instanceof Error ? err.message : String(err)}`;
}
