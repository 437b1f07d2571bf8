import { DecodeError } from '../../codecs/codec.js';
import { taskResultCodec } from '../../codecs/task-result-codec.js';
import type { TaskResult } from '../../domain/task-result.js';
import { scanTopic } from '../../kafka/client-topic-scan.js';
import { EXIT, parseFlags, withSession } from '../cli-session.js';
import { type Command, UsageError } from '../command.js';
import { resultJson, resultLine } from '../result-printer.js';

const help = `usage: berth results [--follow] [--id ID ...] [--json]

Prints task results: by default every result still on the results topic, then exits; with
--follow only results that arrive from now on, until interrupted (Ctrl-C).

options:
  --follow      wait for new results instead of listing existing ones
  --id ID       only results of this task id (repeatable)
  --json        one JSON object per line (stdout/stderr as text, output files base64)

exit codes: 0 ok, 2 usage, 3 broker unreachable`;

const options = {
  follow: { type: 'boolean' },
  id: { type: 'string', multiple: true },
  json: { type: 'boolean' },
} as const;

const results: Command = {
  name: 'results',
  summary: 'list task results, or follow new ones',
  help,
  async run(argv) {
    const { values, positionals } = parseFlags([...argv], options);
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    const ids = values.id && values.id.length > 0 ? new Set(values.id) : null;
    const print = (r: TaskResult) => console.log(values.json ? JSON.stringify(resultJson(r)) : resultLine(r));
    return withSession('results', async (s) => {
      if (!values.follow) {
        let count = 0;
        await scanTopic(
          s.kafka,
          s.topics.results,
          async (rec) => {
            if (!rec.value || (ids && !ids.has(rec.key?.toString() ?? ''))) return;
            try {
              print(await taskResultCodec.decodeAsync(rec.value));
              count++;
            } catch (err) {
              // Not a TaskResult: skipped. A registry that cannot answer is an error, not a skip.
              if (!(err instanceof DecodeError)) throw err;
            }
          },
          { brokers: s.brokers },
        );
        s.progress(`${count} result(s)`);
        return EXIT.ok;
      }
      const stream = s.client().results({ ids: ids ? [...ids] : undefined });
      const stop = () => void stream.return?.();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      s.progress(`following ${s.topics.results} (Ctrl-C to stop)`);
      for await (const r of stream) print(r);
      return EXIT.ok;
    });
  },
};

export default results;
