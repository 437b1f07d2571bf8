import type { CodePackage } from '../domain/code-package.js';
import type { CodeResolution, CodeResolverPort } from '../domain/code-resolver-port.js';
import type { ExecutionRequest, HotIsolation } from '../domain/executor-port.js';
import type { LiveFeed } from '../domain/live-feed.js';
import type { StackCatalogPort } from '../domain/stack-catalog-port.js';
import { MAX_TASK_TIMEOUT_MS, type TaskEvent } from '../domain/task-event.js';
import type { ResolvedSecrets, SecretResolverPort } from '../secrets/secret-resolver.js';
import { SecretResolver } from '../secrets/secret-resolver.js';
import type { ExecutionDefaults } from './execution-defaults.js';
import type { PlanResult, Rejection } from './execution-plan.js';

const MIN_MEMORY_BYTES = 8 * 1024 * 1024;

/** No code packages on this worker: every `code` task is rejected as unknown. */
export const noCodePackages: CodeResolverPort = { resolve: async () => null };

/** No secret sources: a package declaring a secret is rejected with a reason saying so. */
const noSecrets: SecretResolverPort = new SecretResolver([]);

interface Source {
  readonly stack: string;
  readonly command: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly pkg: CodePackage | null;
}

/**
 * Turns a TaskEvent into an ExecutionRequest: resolves the code package (if any) and pins the
 * stack image, then applies task → package → worker defaults and the limits. Contract: never
 * throws for anything about the task itself — an unknown stack or package, a limit beyond what
 * this worker allows — but returns a rejection whose reason ends up in a REJECTED result.
 * Infrastructure failures of the ports (InfraError) propagate. The package's declared secrets
 * are resolved on this worker (`secrets`): environment ones join `env`, file ones become
 * `secretFiles`, a missing one rejects the task naming it and where the worker looked.
 */
export class ExecutionPlanner {
  constructor(
    private readonly stacks: StackCatalogPort,
    private readonly code: CodeResolverPort,
    private readonly defaults: ExecutionDefaults,
    private readonly secrets: SecretResolverPort = noSecrets,
  ) {}

  /**
   * `live`: where the attempt's output and progress go while it runs (the request's `live`,
   * behind the package's secret redactor when it declares secrets).
   */
  async plan(event: TaskEvent, live?: LiveFeed): Promise<PlanResult> {
    const source = await this.source(event);
    if ('reason' in source) return { ok: false, rejection: source };
    const pkg = source.pkg;
    const base = {
      stack: source.stack,
      imageId: null,
      codeName: pkg?.name ?? event.code?.name ?? null,
      codeRevision: pkg?.revision ?? null,
      codeDigest: pkg?.digest ?? null,
    };
    const reject = (reason: string, imageId: string | null = null): PlanResult => ({
      ok: false,
      rejection: { ...base, imageId, reason },
    });
    let secrets: ResolvedSecrets | null = null;
    if (pkg !== null && pkg.manifest.secrets.length > 0) {
      const resolved = await this.secrets.resolve(
        pkg.manifest.secrets,
        `code package '${pkg.name}@${pkg.revision}'`,
      );
      if (!resolved.ok) return reject(resolved.reason);
      secrets = resolved.secrets;
    }
    const stack = await this.stacks.resolve(source.stack);
    if (!stack) return reject(`unknown stack '${source.stack}': not built on this worker`);
    const handler = pkg?.manifest.isolation === 'HOT' ? pkg.manifest.handler : null;
    if (handler !== null && stack.runtime === null) {
      return reject(
        `code package '${pkg?.name}' has a handler, but stack '${stack.name}' has no function runtime (use a command instead)`,
        stack.imageId,
      );
    }
    const limits = this.limits(event, pkg);
    if (typeof limits === 'string') return reject(limits, stack.imageId);
    if (event.payload.byteLength > this.defaults.payloadCapBytes) {
      return reject(
        `payload of ${event.payload.byteLength} bytes exceeds the cap of ${this.defaults.payloadCapBytes}`,
        stack.imageId,
      );
    }
    const request: ExecutionRequest = {
      taskId: event.id,
      attempt: event.attempt,
      stack: stack.name,
      imageId: stack.imageId,
      command: source.command,
      env: secrets === null ? source.env : { ...source.env, ...secrets.env },
      payload: event.payload,
      codeTar: pkg?.tarball ?? null,
      timeoutMs: limits.timeoutMs,
      memoryBytes: limits.memoryBytes,
      nanoCpus: this.defaults.defaultNanoCpus,
      pidsLimit: this.defaults.defaultPidsLimit,
      network: event.network ?? pkg?.manifest.network ?? false,
      stdoutCapBytes: this.defaults.stdoutCapBytes,
      stderrCapBytes: this.defaults.stderrCapBytes,
      outputCapBytes: this.defaults.outputCapBytes,
      labels: event.labels,
      live:
        live === undefined || secrets === null || secrets.redactor.empty ? live : secrets.redactor.feed(live),
      ...(pkg?.manifest.isolation === 'HOT' ? { hot: hotIsolation(pkg, secrets) } : {}),
      ...(secrets !== null && secrets.files.length > 0 ? { secretFiles: secrets.files } : {}),
      ...(secrets !== null && !secrets.redactor.empty
        ? { redactText: (text: string) => secrets.redactor.text(text) }
        : {}),
    };
    return {
      ok: true,
      plan: {
        request,
        stack: stack.name,
        imageId: stack.imageId,
        codeName: base.codeName,
        codeRevision: base.codeRevision,
        codeDigest: base.codeDigest,
        maxAttempts: event.maxAttempts ?? pkg?.manifest.maxAttempts ?? this.defaults.defaultMaxAttempts,
        retryDelayMs: pkg?.manifest.retryDelayMs ?? this.defaults.retryBaseDelayMs,
        maxConcurrency: pkg?.manifest.maxConcurrency ?? 0,
        priority: event.priority,
        redactor: secrets?.redactor ?? null,
      },
    };
  }

  private async source(event: TaskEvent): Promise<Source | Rejection> {
    if (event.inline) return { ...event.inline, pkg: null };
    const ref = event.code;
    const none = { stack: null, imageId: null, codeRevision: ref?.revision ?? null, codeDigest: null };
    if (!ref) return { ...none, codeName: null, reason: 'task names neither code nor inline command' };
    const resolved = await this.resolveCode(ref.name, ref.revision, event.createdAtMs);
    if (!resolved.ok) return { ...none, codeName: ref.name, reason: resolved.reason };
    const pkg = resolved.pkg;
    const m = pkg.manifest;
    if (m.command.length === 0 && !(m.isolation === 'HOT' && m.handler !== null))
      return { ...none, codeName: ref.name, reason: `code package '${ref.name}' has no command` };
    return { stack: m.stack, command: m.command, env: m.env, pkg };
  }

  /** The resolver's own reason when it gives one, else a generic "unknown code package". */
  private async resolveCode(name: string, revision: number | null, asOfMs: number): Promise<CodeResolution> {
    if (this.code.resolveOrReason) return this.code.resolveOrReason(name, revision, asOfMs);
    const pkg = await this.code.resolve(name, revision);
    if (pkg) return { ok: true, pkg };
    const rev = revision === null ? 'any revision' : `revision ${revision}`;
    return { ok: false, reason: `unknown code package '${name}' (${rev})` };
  }

  private limits(
    event: TaskEvent,
    pkg: CodePackage | null,
  ): { timeoutMs: number; memoryBytes: number } | string {
    const timeoutMs = event.timeoutMs ?? pkg?.manifest.timeoutMs ?? this.defaults.defaultTimeoutMs;
    const memoryBytes = event.memoryBytes ?? pkg?.manifest.memoryBytes ?? this.defaults.defaultMemoryBytes;
    if (!(timeoutMs > 0) || timeoutMs > MAX_TASK_TIMEOUT_MS)
      return `timeout ${timeoutMs} ms is outside (0, ${MAX_TASK_TIMEOUT_MS}] ms`;
    if (memoryBytes < MIN_MEMORY_BYTES)
      return `memory ${memoryBytes} bytes is below the minimum of ${MIN_MEMORY_BYTES}`;
    if (memoryBytes > this.defaults.memoryBudgetBytes) {
      return `memory ${memoryBytes} bytes exceeds this worker's whole budget of ${this.defaults.memoryBudgetBytes} bytes`;
    }
    return { timeoutMs, memoryBytes };
  }
}

/**
 * HOT packages run in long-lived containers per revision: at most `maxContainers` of them per
 * worker, or one when the manifest leaves concurrency unlimited (0). With a handler they run in
 * function mode: a runtime per container serves the package's calls. With secrets, the key also
 * carries their fingerprint: a rotated value gets new containers, never one holding the old value.
 */
function hotIsolation(pkg: CodePackage, secrets: ResolvedSecrets | null): HotIsolation {
  const m = pkg.manifest;
  const secretsTag = secrets === null || secrets.fingerprint === '' ? '' : `#secrets:${secrets.fingerprint}`;
  return {
    packageKey: `${pkg.name}@${pkg.revision}#${pkg.digest}${secretsTag}`,
    packageName: pkg.name,
    maxContainers: m.maxConcurrency > 0 ? m.maxConcurrency : 1,
    ...(m.handler !== null ? { handler: m.handler } : {}),
  };
}
