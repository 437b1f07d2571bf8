package berth;

import java.util.Map;

/** What a handler knows about the call it serves. */
public interface Context {
  /** The task id of this call. */
  String taskId();

  /** The delivery attempt, 1 for the first. */
  int attempt();

  /** The task's labels (read-only, possibly empty). */
  Map<String, String> labels();

  /** The call's deadline, epoch milliseconds. */
  long deadlineMs();

  /** Milliseconds left until {@link #deadlineMs()}, never negative. */
  long remainingMs();
}
