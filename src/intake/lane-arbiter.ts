import { PRIORITY_LANES, type PriorityLane } from '../domain/priority-lane.js';
import type { IntakeRoom } from './intake-room.js';

/** A source of records of one lane (a consumer of a lane's tasks or retry topic). */
export interface LaneSource {
  readonly lane: PriorityLane;
  /** Offers buffered records to intake until it is full (and resumes drained partitions). */
  pump(): void;
  /** Records fetched and waiting for room. */
  waiting(): number;
}

export interface LaneArbiterOptions {
  readonly room: IntakeRoom;
  /**
   * Grants in a row that may go to other lanes while a lane has records waiting; the next one
   * is offered to that lane first. A waiting lane thus gets at least 1 grant in
   * `maxPassOvers + 1`.
   */
  readonly maxPassOvers: number;
}

/**
 * Decides which lane gets intake room when it frees. Contract: on every `grant()` (call it when
 * room frees) lanes are offered the room highest first — high, normal, low — except that a lane
 * passed over `maxPassOvers` times while it had records waiting goes first (the most passed-over
 * first), so no lane starves however large the backlog above it. The sources of one lane (its
 * tasks and retry topics) take turns going first. Grants are counted from the room's per-lane
 * counters, so records taken outside `grant()` (room to spare when a fetch arrives) need no
 * arbitration and are not counted as passing anyone over.
 */
export class LaneArbiter {
  private readonly sources = new Map<PriorityLane, LaneSource[]>();
  private readonly passOvers: Record<PriorityLane, number> = { high: 0, normal: 0, low: 0 };
  private readonly turn: Record<PriorityLane, number> = { high: 0, normal: 0, low: 0 };
  private granting = false;
  /** Per lane (PRIORITY_LANES order): records taken before a round, then taken in it. */
  private readonly taken = new Float64Array(PRIORITY_LANES.length);
  private again = false;

  constructor(private readonly opts: LaneArbiterOptions) {
    if (!Number.isInteger(opts.maxPassOvers) || opts.maxPassOvers < 1)
      throw new RangeError('maxPassOvers must be a positive integer');
  }

  add(source: LaneSource): void {
    const list = this.sources.get(source.lane) ?? [];
    list.push(source);
    this.sources.set(source.lane, list);
  }

  /** Times each lane was passed over since it last got room (for metrics and tests). */
  passedOver(lane: PriorityLane): number {
    return this.passOvers[lane];
  }

  /** The order lanes are offered room in now. */
  order(): readonly PriorityLane[] {
    const max = this.opts.maxPassOvers;
    // The usual case, with nothing allocated: no lane passed over that often.
    let passedOften = false;
    for (const l of PRIORITY_LANES) if (this.passOvers[l] >= max) passedOften = true;
    if (!passedOften) return PRIORITY_LANES;
    const starving = PRIORITY_LANES.filter((l) => this.passOvers[l] >= max).sort(
      (a, b) => this.passOvers[b] - this.passOvers[a],
    );
    return [...starving, ...PRIORITY_LANES.filter((l) => !starving.includes(l))];
  }

  /** Offers freed room to the lanes in `order()`; re-entrant calls are folded into one more round. */
  grant(): void {
    if (this.granting) {
      this.again = true;
      return;
    }
    this.granting = true;
    try {
      do {
        this.again = false;
        this.round();
      } while (this.again);
    } finally {
      this.granting = false;
    }
  }

  /** Runs on every freed room (once per finished task): nothing allocated per round. */
  private round(): void {
    const { room } = this.opts;
    const taken = this.taken;
    for (let i = 0; i < PRIORITY_LANES.length; i++) taken[i] = room.taken(PRIORITY_LANES[i] as PriorityLane);
    for (const lane of this.order()) {
      const list = this.sources.get(lane);
      if (list === undefined || list.length === 0) continue;
      const first = this.turn[lane]++ % list.length;
      for (let i = 0; i < list.length; i++) (list[(first + i) % list.length] as LaneSource).pump();
    }
    let total = 0;
    for (let i = 0; i < PRIORITY_LANES.length; i++) {
      taken[i] = room.taken(PRIORITY_LANES[i] as PriorityLane) - (taken[i] as number);
      total += taken[i] as number;
    }
    for (let i = 0; i < PRIORITY_LANES.length; i++) {
      const lane = PRIORITY_LANES[i] as PriorityLane;
      if ((taken[i] as number) > 0) this.passOvers[lane] = 0;
      else if (total > 0 && this.waitingIn(lane)) this.passOvers[lane] += total;
    }
  }

  private waitingIn(lane: PriorityLane): boolean {
    const list = this.sources.get(lane);
    if (list === undefined) return false;
    for (const s of list) if (s.waiting() > 0) return true;
    return false;
  }
}
