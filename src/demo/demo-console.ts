import { loadConsoleConfig } from '../console/console-config.js';
import { type RunningConsole, startConsole } from '../console/console-service.js';

/**
 * The console the demo runs next to its worker (in-process, the installation's SQLite store), so
 * the workload can be watched in a browser. Not essential to the demo: a console that cannot start
 * (port taken, store locked) is reported and the demo goes on without it. Stopped with the demo.
 */
export async function startDemoConsole(
  port: number,
  log: (line: string) => void,
): Promise<RunningConsole | null> {
  try {
    const running = await startConsole(loadConsoleConfig({ port: String(port) }), (line) =>
      log(`console: ${line}`),
    );
    log(`console at ${running.url} (open it to watch the tasks; it stops with the demo)`);
    return running;
  } catch (err) {
    log(`console not started: ${(err as Error).message}`);
    return null;
  }
}
