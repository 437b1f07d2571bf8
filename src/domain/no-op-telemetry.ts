import type { TaskSpan, TelemetryPort } from './telemetry-port.js';

const noOpSpan: TaskSpan = {
  recording: false,
  phase() {},
  setAttributes() {},
  end() {},
};

/** Telemetry that records nothing; the default when observability is not wired (unit tests). */
export const noOpTelemetry: TelemetryPort = {
  startTask: () => noOpSpan,
  taskFinished() {},
  taskRetried() {},
  deadLettered() {},
  containersReaped() {},
  infraError() {},
  sample() {},
};
