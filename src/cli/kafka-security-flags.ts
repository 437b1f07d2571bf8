import { KAFKA_SECURITY_SETTINGS } from '../config/kafka-security-config.js';
import { UsageError } from './command.js';

const SPECS = Object.values(KAFKA_SECURITY_SETTINGS);

/**
 * Takes the `--kafka-ssl*` / `--kafka-sasl-*` flags out of a command's arguments (those before a
 * `--`) and returns them as the `BERTH_*` variables they stand for, so every command — and the
 * worker a command starts — reads one set of security settings, flags winning over the
 * environment. Forms: `--kafka-ssl-ca-file PATH`, `--kafka-ssl-ca-file=PATH`; the boolean ones
 * also bare (`--kafka-ssl` = true) or `--kafka-ssl-verify=false`. Validation happens when the
 * settings are loaded (`kafkaSecurityFromEnv`).
 */
export function takeKafkaSecurityFlags(argv: readonly string[]): {
  readonly argv: string[];
  readonly env: Record<string, string>;
} {
  const dash = argv.indexOf('--');
  const own = dash === -1 ? argv : argv.slice(0, dash);
  const rest: string[] = [];
  const env: Record<string, string> = {};
  for (let i = 0; i < own.length; i++) {
    const arg = own[i] as string;
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') ? arg.slice(2, eq === -1 ? undefined : eq) : '';
    const spec = SPECS.find((s) => s.flag === name);
    if (!spec) {
      rest.push(arg);
      continue;
    }
    if (eq !== -1) env[spec.env] = arg.slice(eq + 1);
    else if (spec.boolean) env[spec.env] = 'true';
    else {
      const value = own[i + 1];
      if (value === undefined || value.startsWith('--'))
        throw new UsageError(`--${spec.flag} needs a value (--help lists the options)`);
      env[spec.env] = value;
      i++;
    }
  }
  return { argv: dash === -1 ? rest : [...rest, ...argv.slice(dash)], env };
}

/** Help lines for the security flags, shared by the commands that talk to Kafka. */
export function kafkaSecurityHelp(): string[] {
  return [
    'Kafka TLS/SASL (every command; each flag also reads its variable, a flag wins):',
    ...SPECS.map((s) => `  --${s.flag.padEnd(34)} ${s.env.padEnd(40)} ${s.help}`),
  ];
}
