import type { TaskInput } from '../client/task-input.js';

/** The example code packages the demo pushes (directories under examples/). */
export const DEMO_PACKAGES = [
  'tx-validator',
  'tx-validator-fn',
  'thumbnailer',
  'ruby-wordcount',
  'java-luhn',
] as const;

/** What the demo expects of a task's result, checked when it arrives. */
export interface DemoExpectation {
  readonly group: string;
  readonly status: 'SUCCEEDED' | 'FAILED';
  /** Substring the stdout must contain, when set. */
  readonly stdoutIncludes?: string;
  /** Name of a file the task must leave in /task/out, when set. */
  readonly output?: string;
  /** Substring the return value (function mode) must contain, when set. */
  readonly returnIncludes?: string;
}

export interface DemoTask {
  readonly input: TaskInput & { readonly id: string };
  readonly expect: DemoExpectation;
}

const IBANS = [
  'DE89 3704 0044 0532 0130 00',
  'GB82 WEST 1234 5698 7654 32',
  'FR14 2004 1010 0505 0001 3M02 606',
];

/**
 * A continuous-transactions stream through `code`: same account key keeps order, bad IBANs are
 * reported invalid — on stdout by the process-per-task validator, in the return value by the
 * function-mode one (one runtime answers call after call).
 */
function transactions(run: string, count: number, code: 'tx-validator' | 'tx-validator-fn'): DemoTask[] {
  const fn = code === 'tx-validator-fn';
  return Array.from({ length: count }, (_, i) => {
    const bad = i % 7 === 3;
    const iban = bad ? 'DE00 0000 0000 0000 0000 00' : (IBANS[i % IBANS.length] as string);
    const payload = { id: `tx-${i}`, amount: 100 + i, currency: 'EUR', iban };
    const verdict = `"valid":${!bad}`;
    return {
      input: { id: `${run}-${fn ? 'txfn' : 'tx'}-${i}`, code, key: `account-${i % 5}`, payload },
      expect: {
        group: code,
        status: 'SUCCEEDED',
        ...(fn ? { returnIncludes: verdict } : { stdoutIncludes: verdict }),
      },
    };
  });
}

function inline(run: string, stack: string, command: string[], stdoutIncludes: string): DemoTask {
  return {
    input: { id: `${run}-${stack}`, inline: { stack, command } },
    expect: { group: `inline ${stack}`, status: 'SUCCEEDED', stdoutIncludes },
  };
}

/**
 * The demo workload: a stream of payment validations, image thumbnails, word counts, card checks
 * (one with an invalid number, which FAILS by design), and one-off inline commands in other stacks.
 */
export function demoWorkload(run: string, txCount: number): DemoTask[] {
  return [
    ...transactions(run, txCount, 'tx-validator'),
    ...transactions(run, txCount, 'tx-validator-fn'),
    ...[32, 64].map((size) => ({
      input: { id: `${run}-thumb-${size}`, code: 'thumbnailer', payload: { width: size, height: size } },
      expect: { group: 'thumbnailer', status: 'SUCCEEDED' as const, output: 'thumb.png' },
    })),
    {
      input: {
        id: `${run}-words`,
        code: 'ruby-wordcount',
        payload: 'the quick fox and the lazy dog and the end',
      },
      expect: { group: 'ruby-wordcount', status: 'SUCCEEDED', stdoutIncludes: 'the' },
    },
    {
      input: { id: `${run}-luhn-ok`, code: 'java-luhn', payload: '4539578763621486\n4111 1111 1111 1111\n' },
      expect: { group: 'java-luhn', status: 'SUCCEEDED' },
    },
    {
      input: { id: `${run}-luhn-bad`, code: 'java-luhn', payload: '4539578763621487\n' },
      expect: { group: 'java-luhn', status: 'FAILED' },
    },
    inline(run, 'python-3.13', ['python3', '-c', 'import sys; print(sys.version.split()[0])'], '3.13'),
    inline(run, 'php-8.4', ['php', '-r', 'echo PHP_VERSION, "\\n";'], '8.4'),
    inline(run, 'shell', ['sh', '-c', 'wc -c < "$PAYLOAD_FILE"; id -u'], '10001'),
  ];
}
