import { runProcess } from './process-runner.js';

/** A build step that failed: one line for the user plus the tail of its log. */
export class BuildStepError extends Error {
  readonly logTail: string;
  constructor(message: string, logTail: string) {
    super(message);
    this.name = 'BuildStepError';
    this.logTail = logTail;
  }
}

/** `docker tag SOURCE TARGET`; throws BuildStepError on failure. */
export async function dockerTag(source: string, target: string): Promise<void> {
  const res = await runProcess('docker', ['tag', source, target]);
  if (res.exitCode !== 0) throw new BuildStepError(`docker tag ${target} failed`, res.tail);
}
