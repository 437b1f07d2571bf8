/**
 * Node flags a worker process runs with. The worker allocates a short-lived object graph per task
 * (decoded event, frames, result, Kafka request buffers); V8's default young generation (16 MiB
 * semi-spaces) promotes much of it and collects it again in the old generation. 64 MiB
 * semi-spaces keep it young: measured with `npm run bench` (function mode, Node handler, worker
 * process), the worker's CPU time per task fell from about 236 to 167 µs at the same load. The
 * price is memory: the young generation may grow to 3 × 64 MiB, and the backlog bench's RSS growth
 * after its first tenth rose from about 6 to 26 MiB (`BENCH_BACKLOG`, idempotency memory off).
 * Contract: every place that starts a worker process (`berth` itself via its shebang,
 * scripts/berth.sh, the demo, the bench, the fault suite, the container image) passes these.
 */
export const WORKER_NODE_FLAGS: readonly string[] = Object.freeze(['--max-semi-space-size=64']);
