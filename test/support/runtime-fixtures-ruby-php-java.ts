/**
 * Code packages for the Ruby, PHP and Java function-runtime tests. Every main handler follows one
 * script, keyed by the payload text:
 *   q…       → returns the payload, prints nothing (the throughput probe)
 *   otherwise it first prints `out:<payload>\n` to stdout and `err:<payload>\n` to stderr, then
 *   bytes    → the bytes 00 01 ff            string → "héllo"          null → null
 *   json     → {"a":[1,2.5,true,"x"],"b":null}
 *   ctx      → {"taskId","attempt","labels","deadlineMs","remainingMs"} from the context
 *   throw    → raises an error with the message "bad input"
 *   nan      → [NaN] (not JSON-serialisable)
 *   helper   → "ABC" from a second file of the package        count → a global counter, +1 per call
 *   anything else → the payload as the language's byte value (Ruby/Java: bytes, PHP: string)
 */

/** One language's package and the handler strings and messages the tests expect. */
export interface RuntimeFixture {
  files: Record<string, string>;
  /** The main handler (the script above). */
  main: string;
  /** The reply kind of the script's echo. */
  echoKind: 'bytes' | 'string';
  /** Other handler forms: [handler, payload, expected string value]. */
  forms: Array<[string, string, string]>;
  thrown: RegExp;
  /** A file name the stack of the thrown error mentions. */
  stackFile: string;
  missingFunction: string;
  missingFile: string;
  /** A handler whose file does not parse / compile, and the load error message it gives. */
  broken: [string, RegExp];
}

export const rubyFixture: RuntimeFixture = {
  files: {
    'app.rb': `require_relative 'lib/helper'
$count = 0

module Api
  module V1
    def self.call(payload, _ctx)
      "v1:#{payload}"
    end
  end
end

def handle(payload, ctx)
  return payload if payload.start_with?('q')

  puts "out:#{payload}"
  warn "err:#{payload}"
  case payload
  when 'bytes' then "\\x00\\x01\\xff".b
  when 'string' then 'héllo'
  when 'null' then nil
  when 'json' then { a: [1, 2.5, true, 'x'], b: nil }
  when 'ctx'
    { taskId: ctx.task_id, attempt: ctx.attempt, labels: ctx.labels, deadlineMs: ctx.deadline_ms,
      remainingMs: ctx.remaining_ms }
  when 'throw' then raise ArgumentError, 'bad input'
  when 'nan' then [Float::NAN]
  when 'helper' then Helper.shout('abc')
  when 'count' then $count += 1
  else payload
  end
end

def one_arg(payload)
  "one:#{payload}"
end
`,
    'lib/helper.rb': `module Helper
  def self.shout(s) = s.upcase
end
`,
    'broken.rb': 'def handle(payload, ctx\n  payload\n',
  },
  main: 'app.rb:handle',
  echoKind: 'bytes',
  forms: [
    ['app.rb:Api::V1.call', 'x', 'v1:x'],
    ['app.rb:one_arg', 'y', 'one:y'],
  ],
  thrown: /^ArgumentError: bad input$/,
  stackFile: 'app.rb',
  missingFunction: 'app.rb:missing',
  missingFile: 'nope.rb:handle',
  broken: ['broken.rb:handle', /SyntaxError/],
};

export const phpFixture: RuntimeFixture = {
  files: {
    'app.php': `<?php
require_once __DIR__ . '/lib/helper.php';
$count = 0;

class Api
{
    public static function call(string $payload, array $ctx): string
    {
        return "api:$payload";
    }
}

function handle(string $payload, array $ctx): mixed
{
    global $count;
    if (str_starts_with($payload, 'q')) {
        return $payload;
    }
    echo "out:$payload\\n";
    fwrite(STDERR, "err:$payload\\n");
    return match ($payload) {
        'bytes' => "\\x00\\x01\\xff",
        'string' => 'héllo',
        'null' => null,
        'json' => ['a' => [1, 2.5, true, 'x'], 'b' => null],
        'ctx' => [
            'taskId' => $ctx['taskId'], 'attempt' => $ctx['attempt'], 'labels' => $ctx['labels'],
            'deadlineMs' => $ctx['deadlineMs'], 'remainingMs' => ($ctx['remainingMs'])(),
        ],
        'throw' => throw new InvalidArgumentException('bad input'),
        'nan' => [NAN],
        'helper' => shout('abc'),
        'count' => ++$count,
        default => $payload,
    };
}
`,
    'lib/helper.php': `<?php
function shout(string $s): string
{
    return strtoupper($s);
}
`,
    'broken.php': '<?php\nfunction handle($payload, $ctx {\n',
  },
  main: 'app.php:handle',
  echoKind: 'string',
  forms: [['app.php:Api::call', 'x', 'api:x']],
  thrown: /^InvalidArgumentException: bad input$/,
  stackFile: 'app.php',
  missingFunction: 'app.php:missing',
  missingFile: 'nope.php:handle',
  broken: ['broken.php:handle', /ParseError/],
};

export const javaFixture: RuntimeFixture = {
  files: {
    'Fixture.java': `import berth.Context;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

public class Fixture implements berth.Handler {
  private static int count;

  @Override
  public Object handle(byte[] payload, Context ctx) {
    return run(payload, ctx);
  }

  public static Object run(byte[] payload, Context ctx) {
    String p = new String(payload, StandardCharsets.UTF_8);
    if (p.startsWith("q")) return payload;
    System.out.println("out:" + p);
    System.err.println("err:" + p);
    Map<String, Object> m = new LinkedHashMap<>();
    switch (p) {
      case "bytes": return new byte[] {0, 1, (byte) 0xff};
      case "string": return "héllo";
      case "null": return null;
      case "json":
        m.put("a", List.of(1, 2.5, true, "x"));
        m.put("b", null);
        return m;
      case "ctx":
        m.put("taskId", ctx.taskId());
        m.put("attempt", ctx.attempt());
        m.put("labels", ctx.labels());
        m.put("deadlineMs", ctx.deadlineMs());
        m.put("remainingMs", ctx.remainingMs());
        return m;
      case "throw": throw new IllegalArgumentException("bad input");
      case "nan": return List.of(Double.NaN);
      case "helper": return Helper.shout("abc");
      case "count": return ++count;
      default: return payload;
    }
  }
}
`,
    'Helper.java': `final class Helper {
  static String shout(String s) {
    return s.toUpperCase();
  }
}
`,
    'Broken.java': 'public class Broken {\n  int x = ;\n}\n',
  },
  main: 'Fixture.java:run',
  echoKind: 'bytes',
  forms: [
    ['Fixture.java', 'string', 'héllo'],
    ['com.acme.Lib:call', 'x', 'lib:x'],
    ['com.acme.Lib', 'y', 'lib-handler:y'],
  ],
  thrown: /^java\.lang\.IllegalArgumentException: bad input$/,
  stackFile: 'Fixture.java',
  missingFunction: 'Fixture.java:missing',
  missingFile: 'Nope.java:run',
  broken: ['Broken.java', /compilation of Broken\.java failed/],
};

/**
 * Source of com.acme.Lib, compiled by the test into the package's lib/acme.jar (the "class name
 * from a jar" form): a static method and the berth.Handler form in one class.
 */
export const javaJarSource = {
  'com/acme/Lib.java': `package com.acme;

import java.nio.charset.StandardCharsets;

public class Lib implements berth.Handler {
  public static Object call(byte[] payload, berth.Context ctx) {
    return "lib:" + new String(payload, StandardCharsets.UTF_8);
  }

  @Override
  public Object handle(byte[] payload, berth.Context ctx) {
    return "lib-handler:" + new String(payload, StandardCharsets.UTF_8);
  }
}
`,
};
