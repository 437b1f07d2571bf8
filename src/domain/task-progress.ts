/**
 * One record on `<prefix>.progress` (schemas/task-progress.avsc): what a running attempt printed
 * and reported since its previous record. Best effort — records may be dropped (a gap in `seq`);
 * the TaskResult remains the record of what happened.
 */
export interface TaskProgress {
  readonly taskId: string;
  readonly attempt: number;
  readonly workerId: string;
  /** 0, 1, 2, … per attempt. */
  readonly seq: number;
  readonly atMs: number;
  /** Newest percentage (0–100) since the previous record; null when none was reported. */
  readonly percent: number | null;
  readonly message: string | null;
  readonly stdout: Uint8Array;
  readonly stderr: Uint8Array;
  /** Output bytes of this attempt not published so far (budget, caps, rate). */
  readonly droppedBytes: number;
}
