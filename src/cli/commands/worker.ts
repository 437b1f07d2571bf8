import { parseArgs } from 'node:util';
import { loadWorkerConfig, type WorkerFlags } from '../../config/worker-config.js';
import { WORKER_SETTINGS, type WorkerSettingKey } from '../../config/worker-settings.js';
import { InfraError } from '../../domain/infra-error.js';
import { startWorkerProcess } from '../../worker/main.js';
import { type Command, UsageError } from '../command.js';
import { kafkaSecurityHelp } from '../kafka-security-flags.js';

const keys = Object.keys(WORKER_SETTINGS) as WorkerSettingKey[];

function helpText(): string {
  const rows = keys.map((k) => {
    const s = WORKER_SETTINGS[k];
    const dflt = s.fallback === '' ? '' : ` (default ${s.fallback})`;
    return `  --${s.flag.padEnd(22)} ${s.env.padEnd(28)} ${s.help}${dflt}`;
  });
  return [
    'usage: berth worker [options]',
    '',
    'Consumes task events, runs each in a container of its stack, publishes results.',
    'Every option also reads its BERTH_* variable; a flag wins. SIGTERM/SIGINT drain and exit 0.',
    '',
    ...rows,
    '',
    ...kafkaSecurityHelp(),
  ].join('\n');
}

function parseFlags(argv: readonly string[]): WorkerFlags {
  const options = Object.fromEntries(keys.map((k) => [WORKER_SETTINGS[k].flag, { type: 'string' as const }]));
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args: [...argv], options, allowPositionals: false, strict: true }).values;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const flags: Partial<Record<WorkerSettingKey, string>> = {};
  for (const k of keys) {
    const v = values[WORKER_SETTINGS[k].flag];
    if (typeof v === 'string') flags[k] = v;
  }
  return flags;
}

const worker: Command = {
  name: 'worker',
  summary: 'run a worker: consume tasks, run them in stack containers, publish results',
  help: helpText(),
  async run(argv) {
    let config: ReturnType<typeof loadWorkerConfig>;
    try {
      config = loadWorkerConfig(parseFlags(argv));
    } catch (err) {
      if (err instanceof InfraError && err.component === 'config') throw new UsageError(err.message);
      throw err;
    }
    return startWorkerProcess(config);
  },
};

export default worker;
