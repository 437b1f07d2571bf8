/**
 * Bounded categories for `berth_dlq_total{reason}`. Dead-letter reasons arrive as free text
 * (error messages); mapping them to a fixed set keeps the label's cardinality bounded.
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
  [/undecodable|decode|deseriali[sz]|avro|magic byte|schema id|wire format|malformed/i, 'undecodable'],
  [/too large|too big|exceeds|cap(acity)? exceeded|payload size|max.?bytes/i, 'too_large'],
  [/exhaust|max(imum)? attempts|attempts? (used|reached)|retries/i, 'retries_exhausted'],
  [/unknown stack|stack .*not (found|known|built)|no such stack|no image/i, 'unknown_stack'],
  [
    /code package|revision|code .*not (found|available)|digest mismatch|code_unavailable/i,
    'code_unavailable',
  ],
  [/invalid|validation|missing field|required|out of range|bad request/i, 'invalid'],
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
