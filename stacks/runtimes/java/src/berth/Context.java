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

  /**
   * Reports progress: {@code pct} 0–100 (NaN for none) and a message. Best effort: the launcher
   * forwards the newest report at most a few times a second; it never fails the call. Safe to call
   * from any thread while the call runs.
   */
  default void progress(double pct, String msg) {}

  /** Reports progress without a message. */
  default void progress(double pct) {
    progress(pct, "");
  }
}
