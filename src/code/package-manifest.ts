import type { CodeManifest, IsolationMode, SecretDeclaration } from '../domain/code-package.js';
import { MAX_TASK_TIMEOUT_MS } from '../domain/task-event.js';
import { secretNameProblem } from '../secrets/secret-name.js';

/** Defaults for fields a `berth.json` leaves out. */
export const MANIFEST_DEFAULTS = Object.freeze({
  timeoutMs: 5 * 60 * 1000,
  memoryBytes: 256 * 1024 * 1024,
  network: false,
  maxAttempts: 1,
  retryDelayMs: 1000,
  maxConcurrency: 0,
  isolation: 'FRESH' as IsolationMode,
});

/** What validation needs to know about the world outside the manifest text. */
export interface ManifestContext {
  /** The stack's run template (`stacks/<name>/stack.json` `run`); null for an unknown stack. */
  runTemplate(stack: string): Promise<readonly string[] | null>;
  /** Whether the package directory holds this relative file (for `entry`). */
  fileExists(relativePath: string): boolean;
}

export type ManifestResult =
  | { readonly ok: true; readonly manifest: CodeManifest }
  | { readonly ok: false; readonly errors: string[] };

const NAME_RE = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const KNOWN = new Set([
  'name',
  'stack',
  'command',
  'entry',
  'timeoutMs',
  'memoryBytes',
  'env',
  'network',
  'maxAttempts',
  'retryDelayMs',
  'maxConcurrency',
  'isolation',
  'handler',
  'secrets',
  'description',
]);

/**
 * `FILE:FUNCTION`, FILE relative inside the package (or a Java class name); FUNCTION may be left
 * out (Java: a class implementing berth.Handler) and may be `Const.method` or `Class::method`.
 */
const HANDLER_RE = /^([^:\s][^:]*)(?::([A-Za-z_$][A-Za-z0-9_$.]*(?:::[A-Za-z_$][A-Za-z0-9_$]*)?)?)?$/;
/** Handler files checked for presence at push time (a Java class name in a jar is not a file). */
const SOURCE_FILE_RE = /\.(js|cjs|mjs|py|rb|php|java)$/;

/**
 * Validates a `berth.json` text into a `CodeManifest`. Every problem is reported, one line per
 * field, prefixed with the field name. `entry` (a file in the package) is turned into a command via
 * the stack's run template, replacing `{entry}`; exactly one of `command` and `entry` is required,
 * except with a `handler` (function mode), where both may be left out; a handler implies
 * `"isolation": "HOT"`.
 */
export async function parseManifest(text: string, ctx: ManifestContext): Promise<ManifestResult> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return { ok: false, errors: [`berth.json is not valid JSON: ${(err as Error).message}`] };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    return { ok: false, errors: ['berth.json must be a JSON object'] };
  const o = raw as Record<string, unknown>;
  const errors: string[] = [];
  for (const key of Object.keys(o)) if (!KNOWN.has(key)) errors.push(`${key}: unknown field`);
  const name = str(o, 'name', errors, NAME_RE, 'lowercase letters, digits, ".", "_" or "-", at most 63');
  const stack = str(o, 'stack', errors, NAME_RE, 'a stack name such as python-3.11');
  const handler = handlerOf(o.handler, ctx, errors);
  const command =
    o.handler !== undefined && o.command === undefined && o.entry === undefined
      ? []
      : await commandOf(o, stack, ctx, errors);
  const isolation = isolationOf(o.isolation ?? (handler !== null ? 'HOT' : undefined), errors);
  if (handler !== null && isolation !== 'HOT')
    errors.push(
      'handler: needs "isolation": "HOT" (a runtime kept alive across tasks); leave isolation out or set it to HOT',
    );
  const env = envOf(o.env, errors);
  const manifest: CodeManifest = {
    name,
    stack,
    command,
    timeoutMs: int(o, 'timeoutMs', MANIFEST_DEFAULTS.timeoutMs, 1, MAX_TASK_TIMEOUT_MS, errors),
    memoryBytes: int(o, 'memoryBytes', MANIFEST_DEFAULTS.memoryBytes, 4 * 1024 * 1024, 2 ** 40, errors),
    env,
    network: bool(o, 'network', MANIFEST_DEFAULTS.network, errors),
    maxAttempts: int(o, 'maxAttempts', MANIFEST_DEFAULTS.maxAttempts, 1, 100, errors),
    retryDelayMs: int(o, 'retryDelayMs', MANIFEST_DEFAULTS.retryDelayMs, 0, MAX_TASK_TIMEOUT_MS, errors),
    maxConcurrency: int(o, 'maxConcurrency', MANIFEST_DEFAULTS.maxConcurrency, 0, 10_000, errors),
    isolation,
    handler,
    secrets: secretsOf(o.secrets, env, errors),
  };
  return errors.length > 0 ? { ok: false, errors } : { ok: true, manifest: Object.freeze(manifest) };
}

function str(o: Record<string, unknown>, key: string, errors: string[], re: RegExp, what: string): string {
  const v = o[key];
  if (v === undefined) errors.push(`${key}: required`);
  else if (typeof v !== 'string' || !re.test(v))
    errors.push(`${key}: must be ${what}, got ${JSON.stringify(v)}`);
  else return v;
  return '';
}

function int(
  o: Record<string, unknown>,
  key: string,
  fallback: number,
  min: number,
  max: number,
  errors: string[],
): number {
  const v = o[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    errors.push(`${key}: must be an integer from ${min} to ${max}, got ${JSON.stringify(v)}`);
    return fallback;
  }
  return v;
}

function bool(o: Record<string, unknown>, key: string, fallback: boolean, errors: string[]): boolean {
  const v = o[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') errors.push(`${key}: must be true or false, got ${JSON.stringify(v)}`);
  return typeof v === 'boolean' ? v : fallback;
}

function envOf(v: unknown, errors: string[]): Record<string, string> {
  if (v === undefined) return {};
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    errors.push('env: must be an object of string values');
    return {};
  }
  const env: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) errors.push(`env: "${k}" is not a valid variable name`);
    else if (typeof val !== 'string') errors.push(`env.${k}: must be a string`);
    else env[k] = val;
  }
  return env;
}

/**
 * `secrets`: names (delivered as env) or `{"name": N, "as": "env" | "file"}`; names valid as
 * variables, unique, not reserved and not also in `env`.
 */
function secretsOf(v: unknown, env: Readonly<Record<string, string>>, errors: string[]): SecretDeclaration[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) {
    errors.push('secrets: must be an array of names or {"name", "as"} objects');
    return [];
  }
  const out: SecretDeclaration[] = [];
  const seen = new Set<string>();
  v.forEach((item: unknown, i) => {
    const o =
      typeof item === 'object' && item !== null && !Array.isArray(item)
        ? (item as Record<string, unknown>)
        : null;
    const name = o === null ? item : o.name;
    const as = o === null ? 'env' : (o.as ?? 'env');
    const extra = o === null ? [] : Object.keys(o).filter((k) => k !== 'name' && k !== 'as');
    const problem = secretNameProblem(name);
    if (problem !== null) errors.push(`secrets[${i}]: ${problem}`);
    else if (extra.length > 0)
      errors.push(`secrets[${i}]: unknown field ${extra.map((k) => `"${k}"`).join(', ')}`);
    else if (as !== 'env' && as !== 'file')
      errors.push(`secrets[${i}]: "as" must be "env" or "file", got ${JSON.stringify(as)}`);
    else if (seen.has(name as string)) errors.push(`secrets[${i}]: "${name}" is declared twice`);
    else if (Object.hasOwn(env, name as string))
      errors.push(`secrets[${i}]: "${name}" is also in env (env values are not secret; drop it there)`);
    else {
      seen.add(name as string);
      out.push(Object.freeze({ name: name as string, as }));
    }
  });
  return out;
}

function handlerOf(v: unknown, ctx: ManifestContext, errors: string[]): string | null {
  if (v === undefined || v === null) return null;
  const m = typeof v === 'string' ? HANDLER_RE.exec(v) : null;
  const file = m?.[1];
  if (!m || file === undefined || file.startsWith('/') || file.split('/').includes('..')) {
    errors.push(
      `handler: must be "FILE:FUNCTION" with FILE a relative path in the package (e.g. "validate.js:handle"), got ${JSON.stringify(v)}`,
    );
    return null;
  }
  if (SOURCE_FILE_RE.test(file) && !ctx.fileExists(file))
    errors.push(`handler: file "${file}" is not in the package`);
  return v as string;
}

function isolationOf(v: unknown, errors: string[]): IsolationMode {
  if (v === undefined) return MANIFEST_DEFAULTS.isolation;
  if (v === 'FRESH' || v === 'HOT') return v;
  errors.push(`isolation: must be "FRESH" or "HOT", got ${JSON.stringify(v)}`);
  return MANIFEST_DEFAULTS.isolation;
}

async function commandOf(
  o: Record<string, unknown>,
  stack: string,
  ctx: ManifestContext,
  errors: string[],
): Promise<string[]> {
  const { command, entry } = o;
  if ((command === undefined) === (entry === undefined)) {
    errors.push(
      command === undefined
        ? 'command: required (or "entry")'
        : 'entry: give either "command" or "entry", not both',
    );
    return [];
  }
  if (command !== undefined) {
    if (
      !Array.isArray(command) ||
      command.length === 0 ||
      !command.every((c) => typeof c === 'string' && c !== '')
    ) {
      errors.push('command: must be a non-empty array of non-empty strings (argv)');
      return [];
    }
    return [...command];
  }
  if (typeof entry !== 'string' || entry === '' || entry.startsWith('/') || entry.split('/').includes('..')) {
    errors.push('entry: must be a relative path of a file in the package');
    return [];
  }
  if (!ctx.fileExists(entry)) errors.push(`entry: file "${entry}" is not in the package`);
  if (stack === '') return [];
  const template = await ctx.runTemplate(stack);
  if (template === null) {
    errors.push(`entry: stack "${stack}" has no run template here (unknown stack); use "command" instead`);
    return [];
  }
  return template.map((part) => part.replaceAll('{entry}', entry));
}
