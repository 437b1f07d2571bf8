import { DecodeError } from '../codecs/codec.js';
import { controlCodec } from '../codecs/control-codec.js';
import { taskEventCodec } from '../codecs/task-event-codec.js';
import { laneOfPriority } from '../domain/priority-lane.js';
import type { TaskEvent } from '../domain/task-event.js';
import type { OutgoingRecord } from '../kafka/client-producer.js';
import { laneTopics, type TopicNames } from '../kafka/topic-names.js';
import type { ResultStore } from './result-store.js';

/** Label a resubmitted task carries: the id it was resubmitted from. */
export const RESUBMIT_LABEL = 'berth.resubmit-of';

/** Sends records to a topic; resolves once Kafka acknowledged them (the client producer). */
export interface RecordSender {
  send(topic: string, records: readonly OutgoingRecord[]): Promise<void>;
}

/** Why an action could not be done: the HTTP status and a one-line reason for the operator. */
export class ActionRefused extends Error {
  constructor(
    readonly httpStatus: 404 | 409,
    message: string,
  ) {
    super(message);
    this.name = 'ActionRefused';
  }
}

/**
 * What the console's buttons do, through Kafka like every other producer: cancel publishes a
 * Control on the control topic (as `berth cancel`), resubmit publishes a copy of a stored task's
 * event under a new id, replay re-publishes a dead-lettered event on the tasks topic with its
 * original key (as the next attempt, with as many attempts again as the task allowed, when the
 * bytes are a TaskEvent), each on the tasks topic of the event's priority lane. Kafka failures reject with the
 * producer's `InfraError`; refusals with `ActionRefused`.
 */
export class TaskActions {
  constructor(
    private readonly store: ResultStore,
    private readonly sender: RecordSender,
    private readonly topics: TopicNames,
    private readonly now: () => number = Date.now,
  ) {}

  async cancel(taskId: string, reason: string | null): Promise<void> {
    const value = controlCodec.encode({ taskId, action: 'CANCEL', reason, requestedAtMs: this.now() });
    await this.sender.send(this.topics.control, [{ key: taskId, value }]);
  }

  /** The tasks topic of the event's priority lane, as the SDK routes it. */
  private tasksTopicOf(event: TaskEvent): string {
    return laneTopics(this.topics, laneOfPriority(event.priority)).tasks;
  }

  /** Returns the new task's id. */
  async resubmit(taskId: string): Promise<string> {
    const found = await this.store.task(taskId);
    if (!found) throw new ActionRefused(404, `no task ${taskId}`);
    if (!found.task.event)
      throw new ActionRefused(
        409,
        `task ${taskId}'s event was not seen on the tasks topic; nothing to resubmit`,
      );
    const old = taskEventCodec.decode(found.task.event);
    const nowMs = this.now();
    const id = `${taskId}~r${nowMs.toString(36)}`;
    const next: TaskEvent = {
      ...old,
      id,
      attempt: 1,
      createdAtMs: nowMs,
      labels: { ...old.labels, [RESUBMIT_LABEL]: taskId },
    };
    const key = found.task.event_key === null || found.task.event_key === taskId ? id : found.task.event_key;
    await this.sender.send(this.tasksTopicOf(next), [{ key, value: taskEventCodec.encode(next) }]);
    return id;
  }

  /** Returns the replayed task id (null when the dead letter is not a TaskEvent). */
  async replay(dlqId: string): Promise<string | null> {
    const entry = await this.store.dlqEntry(dlqId);
    if (!entry) throw new ActionRefused(404, `no dead letter ${dlqId}`);
    if (entry.truncated || !entry.value)
      throw new ActionRefused(
        409,
        `dead letter ${dlqId} was cut to fit the DLQ; its event cannot be replayed`,
      );
    let value: Buffer = entry.value;
    let taskId: string | null = null;
    let topic = this.topics.tasks;
    try {
      const e = taskEventCodec.decode(entry.value);
      taskId = e.id;
      topic = this.tasksTopicOf(e);
      // A new attempt after the dead-lettered one (the workers' idempotency memory runs a later
      // attempt of a known id, never the same one again), with as many attempts again as allowed.
      value = taskEventCodec.encode({
        ...e,
        attempt: e.attempt + 1,
        maxAttempts: e.maxAttempts === null ? null : e.attempt + e.maxAttempts,
        createdAtMs: this.now(),
      });
    } catch (err) {
      // Not (yet) a valid TaskEvent: re-sent as it was, for a worker that now reads it.
      if (!(err instanceof DecodeError)) throw err;
    }
    await this.sender.send(topic, [{ key: entry.key, value }]);
    await this.store.markReplayed(dlqId, this.now());
    return taskId;
  }
}
