package berth.runtime;

import berth.Context;
import java.util.Map;

/** The {@link Context} of one call, built from its {@code C} line. */
record CallContext(String taskId, int attempt, Map<String, String> labels, long deadlineMs, Wire wire)
    implements Context {
  @Override
  public void progress(double pct, String msg) {
    if (wire != null) wire.progress(pct, msg == null ? "" : msg);
  }

  @Override
  public long remainingMs() {
    return Math.max(0L, deadlineMs - System.currentTimeMillis());
  }

  @Override
  public String toString() {
    return "Context[taskId=" + taskId + ", attempt=" + attempt + ", labels=" + labels + ", deadlineMs="
        + deadlineMs + "]";
  }
}
