import { EXIT, parseFlags, withSession } from '../cli-session.js';
import { type Command, onePositional } from '../command.js';

const help = `usage: berth cancel ID [--reason TEXT]

Asks the workers to cancel task ID: a running task is stopped and its result is CANCELLED, with
reason 'cancelled: TEXT' and the stdout/stderr it printed up to then; a task not started yet is
skipped with a CANCELLED result. Returns once the request is on the control topic.

exit codes: 0 request published, 2 usage, 3 broker unreachable`;

const cancel: Command = {
  name: 'cancel',
  summary: 'ask workers to cancel a task',
  help,
  async run(argv) {
    const { values, positionals } = parseFlags([...argv], { reason: { type: 'string' } });
    const id = onePositional(positionals, 'task ID');
    return withSession('cancel', async (s) => {
      await s.client().cancel(id, values.reason);
      s.progress(`cancel requested for ${id}`);
      return EXIT.ok;
    });
  },
};

export default cancel;
