/** A language stack as described by `stacks/<name>/stack.json`. */
export interface StackManifest {
  readonly name: string;
  readonly language: string;
  readonly version: string;
  /** Name of a base directory, e.g. `base-bookworm`. */
  readonly base: string;
  /** argv template running a task's entry file; `{entry}` is replaced by the file name. */
  readonly run: readonly string[];
  readonly smoke: { readonly command: readonly string[]; readonly expect: string };
  /**
   * The function runtime the image carries (HOT function mode, docs/function-runtimes.md): the
   * name of a directory under `stacks/runtimes/`, installed at `/opt/berth/runtime/`. Absent for
   * stacks without one.
   */
  readonly runtime?: string;
}

/** A base image as described by `stacks/base-<suite>/base.json`. */
export interface BaseManifest {
  readonly name: string;
  readonly suite: string;
  readonly mirror: string;
  readonly securityMirror: string;
  readonly packages: readonly string[];
}

export type Parsed<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: string };

const NAME_RE = /^[a-z0-9][a-z0-9.-]*$/;
/** A runtime directory name: one path segment, never `.` or `..`. */
const RUNTIME_RE = /^[a-z0-9][a-z0-9_-]*$/;

function isStringArray(v: unknown, minLength: number): v is string[] {
  return Array.isArray(v) && v.length >= minLength && v.every((x) => typeof x === 'string' && x !== '');
}

function parseJsonObject(text: string): Record<string, unknown> | string {
  try {
    const v: unknown = JSON.parse(text);
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'is not a JSON object';
    return v as Record<string, unknown>;
  } catch (err) {
    return `is not valid JSON (${(err as Error).message})`;
  }
}

/** Validates a stack.json text; `dirName` must equal the manifest's name. Errors are one line. */
export function parseStackManifest(text: string, dirName: string): Parsed<StackManifest> {
  const obj = parseJsonObject(text);
  if (typeof obj === 'string') return { ok: false, error: `stack.json ${obj}` };
  const problems: string[] = [];
  for (const key of ['name', 'language', 'version', 'base'] as const) {
    if (typeof obj[key] !== 'string' || obj[key] === '') problems.push(`"${key}" must be a non-empty string`);
  }
  if (typeof obj.name === 'string' && obj.name !== dirName)
    problems.push(`"name" is "${obj.name}" but the directory is "${dirName}"`);
  if (typeof obj.name === 'string' && !NAME_RE.test(obj.name))
    problems.push('"name" must be lowercase letters, digits, "." or "-"');
  if (!isStringArray(obj.run, 1)) problems.push('"run" must be a non-empty string array');
  const smoke = obj.smoke as Record<string, unknown> | undefined;
  if (
    typeof smoke !== 'object' ||
    smoke === null ||
    !isStringArray(smoke.command, 1) ||
    typeof smoke.expect !== 'string'
  ) {
    problems.push('"smoke" must be {"command": string[], "expect": regex string}');
  } else {
    try {
      new RegExp(smoke.expect);
    } catch {
      problems.push('"smoke.expect" is not a valid regular expression');
    }
  }
  if (obj.runtime !== undefined && (typeof obj.runtime !== 'string' || !RUNTIME_RE.test(obj.runtime)))
    problems.push(
      '"runtime" must name a directory of stacks/runtimes (lowercase letters, digits, "_" or "-")',
    );
  if (problems.length > 0) return { ok: false, error: `stack.json: ${problems.join('; ')}` };
  return { ok: true, value: Object.freeze(obj as unknown as StackManifest) };
}

/** Validates a base.json text; `dirName` must equal the manifest's name. Errors are one line. */
export function parseBaseManifest(text: string, dirName: string): Parsed<BaseManifest> {
  const obj = parseJsonObject(text);
  if (typeof obj === 'string') return { ok: false, error: `base.json ${obj}` };
  const problems: string[] = [];
  for (const key of ['name', 'suite', 'mirror', 'securityMirror'] as const) {
    if (typeof obj[key] !== 'string' || obj[key] === '') problems.push(`"${key}" must be a non-empty string`);
  }
  if (obj.name !== dirName) problems.push(`"name" must equal the directory name "${dirName}"`);
  if (!Array.isArray(obj.packages) || !obj.packages.every((p) => typeof p === 'string')) {
    problems.push('"packages" must be a string array');
  }
  if (problems.length > 0) return { ok: false, error: `base.json: ${problems.join('; ')}` };
  return { ok: true, value: Object.freeze(obj as unknown as BaseManifest) };
}
