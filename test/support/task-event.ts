import type { TaskEvent } from '../../src/domain/task-event.js';

/**
 * A valid TaskEvent for tests where most fields do not matter: an inline `true` on the shell
 * stack, empty payload, priority 1, attempt 1, every optional limit unset. `over` wins; tests
 * about encoding itself spell every field out instead.
 */
export function taskEvent(over: Partial<TaskEvent> = {}): TaskEvent {
  return {
    id: 'task-1',
    code: null,
    inline: { stack: 'shell', command: ['true'], env: {} },
    payload: new Uint8Array(0),
    priority: 1,
    timeoutMs: null,
    maxAttempts: null,
    attempt: 1,
    memoryBytes: null,
    network: null,
    labels: {},
    createdAtMs: 0,
    ...over,
  };
}
