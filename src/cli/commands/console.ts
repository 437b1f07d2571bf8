import { type ConsoleConfig, describeStore, loadConsoleConfig } from '../../console/console-config.js';
import { startConsole } from '../../console/console-service.js';
import { InfraError } from '../../domain/infra-error.js';
import { EXIT, parseFlags } from '../cli-session.js';
import { type Command, UsageError } from '../command.js';

const help = `usage: berth console [--port N] [--host ADDR] [--db FILE]

Runs the task console: stores every result, dead letter, worker snapshot and code package of the
installation (SQLite by default, PostgreSQL with BERTH_CONSOLE_DATABASE_URL), answers the query
API under /api (docs/console-openapi.yaml) and serves the web UI, until SIGINT/SIGTERM.
Several consoles of one installation share the work (consumer group <prefix>-console).

options:
  --port N       HTTP port (BERTH_CONSOLE_PORT, default 8780; 0 picks a free one)
  --host ADDR    address to bind (BERTH_CONSOLE_HOST, default 127.0.0.1); any other address
                 needs BERTH_CONSOLE_TOKEN
  --db FILE      SQLite file (BERTH_CONSOLE_SQLITE_PATH, default $BERTH_STATE_DIR/console-<prefix>.sqlite)

environment: BERTH_CONSOLE_TOKEN, BERTH_CONSOLE_DATABASE_URL, BERTH_CONSOLE_RETENTION_MS
(default 7 days), BERTH_KAFKA_BROKERS, BERTH_TOPIC_PREFIX

exit codes: 0 stopped by a signal, 1 store or broker failure (at start, or the feed gave up), 2 usage`;

const consoleCommand: Command = {
  name: 'console',
  summary: 'run the task console: result store, query API and web UI',
  help,
  async run(argv) {
    const { values, positionals } = parseFlags([...argv], {
      port: { type: 'string' },
      host: { type: 'string' },
      db: { type: 'string' },
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    let config: ConsoleConfig;
    try {
      config = loadConsoleConfig({ port: values.port, host: values.host, db: values.db });
    } catch (err) {
      if (err instanceof InfraError) throw new UsageError(err.message);
      throw err;
    }
    const log = (line: string) => process.stderr.write(`berth console: ${line}\n`);
    let fatal: ((err: Error) => void) | null = null;
    const running = await startConsole(config, log, (err) => fatal?.(err));
    // The URL on stdout, alone on its line: scripts (and the demo) read it.
    console.log(running.url);
    log(`listening on ${running.url} (store: ${describeStore(config.store)})`);
    const code = await new Promise<number>((resolve) => {
      process.once('SIGINT', () => resolve(EXIT.ok));
      process.once('SIGTERM', () => resolve(EXIT.ok));
      fatal = (err) => {
        log(`the feed stopped: ${err.message}; exiting so that a supervisor restarts the console`);
        resolve(EXIT.failed);
      };
    });
    log('stopping');
    await running.close();
    return code;
  },
};

export default consoleCommand;
