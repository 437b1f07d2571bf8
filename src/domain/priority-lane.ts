/**
 * Priority lanes: every task travels on the tasks topic of its lane, so every worker of the
 * cluster sees high work apart from the backlog of normal and low work.
 *
 * Contract: a TaskEvent's `priority` decides its lane — 2 → `high`, 1 → `normal` (the default),
 * 0 → `low` — and the lane never changes for a task, retries included.
 */
export type PriorityLane = 'high' | 'normal' | 'low';

/** Highest first: the order intake prefers when its room is scarce. */
export const PRIORITY_LANES: readonly PriorityLane[] = Object.freeze(['high', 'normal', 'low']);

const PRIORITY_OF: Readonly<Record<PriorityLane, 0 | 1 | 2>> = Object.freeze({ high: 2, normal: 1, low: 0 });

/** The TaskEvent priority of a lane: high 2, normal 1, low 0. */
export function priorityOfLane(lane: PriorityLane): 0 | 1 | 2 {
  return PRIORITY_OF[lane];
}

/** The lane of a TaskEvent priority: 2 and above high, 1 normal, 0 and below low. */
export function laneOfPriority(priority: number): PriorityLane {
  if (priority >= 2) return 'high';
  if (priority >= 1) return 'normal';
  return 'low';
}

/** Whether `value` names a lane. */
export function isPriorityLane(value: unknown): value is PriorityLane {
  return value === 'high' || value === 'normal' || value === 'low';
}
