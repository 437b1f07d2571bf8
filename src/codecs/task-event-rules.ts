import { MAX_TASK_TIMEOUT_MS, type TaskEvent } from '../domain/task-event.js';

/**
 * Domain rules of a TaskEvent beyond its schema. Returns the first violation as a short reason,
 * or null when the event is valid. Used by the codec on encode and decode and by the client SDK.
 */
export function taskEventViolation(event: TaskEvent): string | null {
  if (event.id.length === 0) return 'id is empty';
  if ((event.code === null) === (event.inline === null)) {
    return event.code === null ? 'neither code nor inline is set' : 'both code and inline are set';
  }
  if (event.code !== null) {
    if (event.code.name.length === 0) return 'code.name is empty';
    if (
      event.code.revision !== null &&
      !(Number.isInteger(event.code.revision) && event.code.revision >= 1)
    ) {
      return `code.revision ${event.code.revision} is not a positive integer`;
    }
  }
  if (event.inline !== null) {
    if (event.inline.stack.length === 0) return 'inline.stack is empty';
    if (event.inline.command.length === 0) return 'inline.command is empty';
  }
  return numericViolation(event);
}

function numericViolation(event: TaskEvent): string | null {
  if (!Number.isInteger(event.priority) || event.priority < 0 || event.priority > 2) {
    return `priority ${event.priority} is not 0, 1 or 2`;
  }
  if (event.timeoutMs !== null && !(event.timeoutMs > 0 && event.timeoutMs <= MAX_TASK_TIMEOUT_MS)) {
    return `timeoutMs ${event.timeoutMs} is outside 1..${MAX_TASK_TIMEOUT_MS}`;
  }
  if (event.maxAttempts !== null && !(Number.isInteger(event.maxAttempts) && event.maxAttempts >= 1)) {
    return `maxAttempts ${event.maxAttempts} is not a positive integer`;
  }
  if (!Number.isInteger(event.attempt) || event.attempt < 1)
    return `attempt ${event.attempt} is not a positive integer`;
  if (event.memoryBytes !== null && !(event.memoryBytes > 0))
    return `memoryBytes ${event.memoryBytes} is not positive`;
  if (event.runAtMs != null && !(Number.isSafeInteger(event.runAtMs) && event.runAtMs >= 0))
    return `runAtMs ${event.runAtMs} is not an epoch millisecond`;
  return null;
}
