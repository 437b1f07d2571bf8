/**
 * Public API of the `berth` package for systems that produce tasks or consume results.
 * Everything exported here is covered by semver; deep imports are not.
 */

export {
  BerthClient,
  type BerthClientOptions,
  type ResultStream,
  type ResultsOptions,
  type SubmitAndWaitOptions,
  type WaitOptions,
} from './client/berth-client.js';
export {
  AbortError,
  PayloadTooLargeError,
  ResultTimeoutError,
  TaskValidationError,
  type TaskValidationIssue,
} from './client/client-errors.js';
export { ConsoleResultSource } from './client/console-result-source.js';
export type { ProgressOptions, ProgressStream } from './client/progress-stream.js';
export { type ResultSource, TopicScanResultSource } from './client/result-source.js';
export { parseCodeRef, type TaskInput, toTaskEvent } from './client/task-input.js';
export { CodeCatalog, type CodeCatalogOptions, type Resolution } from './code/code-catalog.js';
export { codePackageCodec } from './codecs/code-package-codec.js';
export type { Codec } from './codecs/codec.js';
export { DecodeError, type DecodeErrorKind, isRuleViolation, RuleViolationError } from './codecs/codec.js';
export { controlCodec } from './codecs/control-codec.js';
export { scheduleCodec } from './codecs/schedule-codec.js';
export { scheduleTickCodec } from './codecs/schedule-tick-codec.js';
export {
  enableSchemaRegistry,
  enableSchemaRegistryFromEnv,
  registrySubject,
} from './codecs/schema-registry.js';
export { taskEventCodec } from './codecs/task-event-codec.js';
export { taskEventViolation } from './codecs/task-event-rules.js';
export { taskProgressCodec } from './codecs/task-progress-codec.js';
export { taskResultCodec } from './codecs/task-result-codec.js';
export { frame, MAGIC_BYTE, unframe } from './codecs/wire-frame.js';
export { workerStatsCodec } from './codecs/worker-stats-codec.js';
export {
  type KafkaSaslSettings,
  type KafkaSecurityConfig,
  type KafkaSecurityOptions,
  type KafkaTlsSettings,
  kafkaSecurity,
  kafkaSecurityFromEnv,
  SASL_MECHANISMS,
  type SaslMechanism,
} from './config/kafka-security-config.js';
export {
  parseSchemaRegistrySettings,
  type SchemaRegistryInput,
  type SchemaRegistrySettings,
} from './config/schema-registry-settings.js';
export { DEFAULT_PAYLOAD_CAP_BYTES } from './config/worker-settings.js';
export type { CodeManifest, CodePackage, IsolationMode } from './domain/code-package.js';
export type { Control, ControlAction } from './domain/control.js';
export { InfraError } from './domain/infra-error.js';
export type { CodeRef, InlineTask, TaskEvent } from './domain/task-event.js';
export { MAX_TASK_TIMEOUT_MS } from './domain/task-event.js';
export type { TaskProgress } from './domain/task-progress.js';
export type { OutputFile, TaskResult, TaskStatus } from './domain/task-result.js';
export { TASK_STATUSES } from './domain/task-result.js';
export type { PartitionStats, WorkerState, WorkerStats } from './domain/worker-stats.js';
export { BrokerUnreachableError, KafkaRefusedError } from './kafka/client-errors.js';
export type { KafkaInstance } from './kafka/client-kafka.js';
export { type TopicNames, topicNames } from './kafka/topic-names.js';
export type { MissedTickPolicy, Schedule, ScheduleTick } from './schedules/schedule.js';
export { scheduledTaskId } from './schedules/schedule.js';
export {
  ScheduleClient,
  ScheduleExistsError,
  type ScheduleInput,
  ScheduleNotFoundError,
} from './schedules/schedule-client.js';
