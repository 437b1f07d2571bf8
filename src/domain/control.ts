/** A command on `berth.control`, keyed by task id. Mirrors `schemas/control.avsc`. */
export type ControlAction = 'CANCEL';

export interface Control {
  readonly taskId: string;
  readonly action: ControlAction;
  readonly reason: string | null;
  readonly requestedAtMs: number;
}
