/**
 * One function-mode package per language for the worker-level tests. Every handler follows one
 * script, keyed by the payload text:
 *   ok     → prints `hello <taskId>` on stdout, returns {"taskId","attempt","label","count"} where
 *            label is ctx.labels.k and count a global counter (+1 per call of one runtime)
 *   throw  → throws/raises an error with the message "boom"
 *   sleep  → sleeps 60 s (the tests give it a short timeout, or cancel it)
 *   oom    → allocates and touches memory until the kernel's OOM killer ends the runtime
 *   crash  → ends the runtime process with exit code 3
 */
export interface FunctionPackage {
  readonly handler: string;
  readonly files: Readonly<Record<string, string>>;
}

const NODE = `let count = 0;
exports.handle = async (payload, ctx) => {
  const what = payload.toString();
  if (what === 'throw') throw new Error('boom');
  if (what === 'sleep') await new Promise((r) => setTimeout(r, 60000));
  if (what === 'crash') process.exit(3);
  if (what === 'oom') {
    const keep = [];
    for (;;) keep.push(Buffer.alloc(8 * 1024 * 1024, 1));
  }
  count++;
  console.log('hello ' + ctx.taskId);
  return { taskId: ctx.taskId, attempt: ctx.attempt, label: ctx.labels.k ?? null, count };
};
`;

const PYTHON = `import os, sys, time
count = 0

def handle(payload, ctx):
    global count
    what = payload.decode()
    if what == 'throw':
        raise ValueError('boom')
    if what == 'sleep':
        time.sleep(60)
    if what == 'crash':
        os._exit(3)
    if what == 'oom':
        keep = []
        while True:
            keep.append(bytearray(8 * 1024 * 1024))
    count += 1
    print('hello ' + ctx.task_id)
    return {'taskId': ctx.task_id, 'attempt': ctx.attempt, 'label': ctx.labels.get('k'), 'count': count}
`;

const RUBY = `$count = 0

def handle(payload, ctx)
  what = payload.dup.force_encoding('UTF-8')
  raise ArgumentError, 'boom' if what == 'throw'
  sleep 60 if what == 'sleep'
  exit!(3) if what == 'crash'
  if what == 'oom'
    keep = []
    loop { keep << ('x' * (8 * 1024 * 1024)) }
  end
  $count += 1
  puts "hello #{ctx.task_id}"
  { 'taskId' => ctx.task_id, 'attempt' => ctx.attempt, 'label' => ctx.labels['k'], 'count' => $count }
end
`;

const PHP = `<?php
$GLOBALS['count'] = 0;

function handle(string $payload, array $ctx) {
    if ($payload === 'throw') throw new RuntimeException('boom');
    if ($payload === 'sleep') sleep(60);
    if ($payload === 'crash') exit(3);
    if ($payload === 'oom') {
        ini_set('memory_limit', '-1');
        $keep = [];
        while (true) $keep[] = str_repeat('x', 8 * 1024 * 1024);
    }
    $GLOBALS['count']++;
    echo 'hello ' . $ctx['taskId'] . "\\n";
    return ['taskId' => $ctx['taskId'], 'attempt' => $ctx['attempt'], 'label' => $ctx['labels']['k'] ?? null, 'count' => $GLOBALS['count']];
}
`;

/** Native memory (outside the Java heap), so the container's limit is hit before the heap's. */
const JAVA = `import berth.Context;
import java.lang.reflect.Field;
import java.util.LinkedHashMap;
import java.util.Map;

public class Script {
  private static int count = 0;

  public static Object handle(byte[] payload, Context ctx) throws Exception {
    String what = new String(payload, java.nio.charset.StandardCharsets.UTF_8);
    if (what.equals("throw")) throw new IllegalStateException("boom");
    if (what.equals("sleep")) Thread.sleep(60000);
    if (what.equals("crash")) Runtime.getRuntime().halt(3);
    if (what.equals("oom")) {
      Field f = sun.misc.Unsafe.class.getDeclaredField("theUnsafe");
      f.setAccessible(true);
      sun.misc.Unsafe u = (sun.misc.Unsafe) f.get(null);
      for (;;) {
        long block = u.allocateMemory(8 << 20);
        for (long i = 0; i < (8 << 20); i += 4096) u.putByte(block + i, (byte) 1);
      }
    }
    count++;
    System.out.println("hello " + ctx.taskId());
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("taskId", ctx.taskId());
    out.put("attempt", ctx.attempt());
    out.put("label", ctx.labels().get("k"));
    out.put("count", count);
    return out;
  }
}
`;

/** Keyed by the stack's runtime directory name (the `berth.stack.runtime` label). */
export const FUNCTION_PACKAGES: Readonly<Record<string, FunctionPackage>> = {
  node: { handler: 'script.js:handle', files: { 'script.js': NODE } },
  python: { handler: 'script.py:handle', files: { 'script.py': PYTHON } },
  ruby: { handler: 'script.rb:handle', files: { 'script.rb': RUBY } },
  php: { handler: 'script.php:handle', files: { 'script.php': PHP } },
  java: { handler: 'Script.java:handle', files: { 'Script.java': JAVA } },
};

/** Every language stack and its runtime. */
export const FUNCTION_STACKS: ReadonlyArray<readonly [stack: string, runtime: string]> = [
  ['node-18', 'node'],
  ['node-20', 'node'],
  ['python-3.11', 'python'],
  ['python-3.13', 'python'],
  ['ruby-3.1', 'ruby'],
  ['ruby-3.3', 'ruby'],
  ['php-8.2', 'php'],
  ['php-8.4', 'php'],
  ['java-17', 'java'],
  ['java-21', 'java'],
];
