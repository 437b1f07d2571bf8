/**
 * Node flags a worker process runs with. The worker allocates a short-lived object graph per task
 * (decoded event, frames, result, Kafka request buffers); V8's default young generation (16 MiB
 * semi-spaces) promotes much of it and collects it again in the old generation. 64 MiB
 * semi-spaces keep it young: measured with `npm run bench` (function mode, Node handler, worker
 * process), the worker's CPU time per task fell from about 236 to 167 µs at the same load. The
 * price is memory: the young generation may grow to 3 × 64 MiB, and the backlog bench's RSS growth
 * after its first tenth rose from about 6 to 26 MiB (`BENCH_BACKLOG`, idempotency memory off).
 *
 * `--heap-growing-percent=100` fixes the old generation's growth factor at 2 (next major GC once
 * the old generation is twice what survived the last one). V8 otherwise picks the factor from its
 * GC and mutator speeds, up to 4; under a drain it let the old generation grow to about 115 MiB of
 * mostly garbage over 40 s while about 35–60 MiB were live. With factor 2 (`BENCH_BACKLOG=1000000`,
 * rejected tasks): old generation 50–65 MiB, worker RSS flat at about 290–300 MiB from the tenth
 * second on (max 301 against 374–387 MiB), about twice the major GCs (each 10–20 ms on the main
 * thread), and drain rate and function-mode CPU per task within run-to-run noise.
 * Contract: every place that starts a worker process (`berth` itself via its shebang,
 * scripts/berth.sh, the demo, the bench, the fault suite, the container image) passes these.
 */
export const WORKER_NODE_FLAGS: readonly string[] = Object.freeze([
  '--max-semi-space-size=64',
  '--heap-growing-percent=100',
]);
