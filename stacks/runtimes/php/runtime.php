<?php
/**
 * Berth PHP function runtime (docs/function-runtimes.md §2), PHP 8.2+ CLI, no extensions needed.
 *
 * Loads BERTH_HANDLER = FILE:FUNCTION once: FILE (relative to the working directory /task/code) is
 * required; FUNCTION is a function name (namespaced allowed, `App\handle`) or `Class::method`
 * (a static method). Then serves `C` lines from fd 3 one at a time, calling
 * FUNCTION(string $payload, array $ctx) and replying on fd 4. $ctx has the keys taskId (string),
 * attempt (int), labels (array string → string), deadlineMs (int, epoch ms) and remainingMs
 * (a Closure returning the ms left, never negative: `($ctx['remainingMs'])()`) and progress (a
 * Closure reporting progress, best effort: `($ctx['progress'])(40, 'half way')`).
 * Value mapping: string → string, null → null, anything else → json_encode → json (failure → E).
 * A Throwable fails the call (E: class + message, trace); fatal errors end the process (a crash).
 */

declare(strict_types=1);

namespace Berth\Runtime;

/** One reply line: E with base64 message and stack. */
function error_line(string $message, string $stack): string
{
    return "E\t" . base64_encode($message) . "\t" . base64_encode($stack) . "\n";
}

/** "Class: message in file:line", the trace, then each previous throwable the same way. */
function describe(\Throwable $e): string
{
    $parts = [];
    for ($t = $e; $t !== null; $t = $t->getPrevious()) {
        $parts[] = ($parts === [] ? '' : 'Caused by: ') . get_class($t) . ': ' . $t->getMessage()
            . ' in ' . $t->getFile() . ':' . $t->getLine() . "\nStack trace:\n" . $t->getTraceAsString();
    }
    return implode("\n", $parts);
}

/** Ends any output buffers the handler left open and flushes PHP's output, STDOUT and STDERR. */
function flush_output(): void
{
    while (ob_get_level() > 0) {
        if (!@ob_end_flush()) {
            break;
        }
    }
    flush();
    @fflush(STDOUT);
    @fflush(STDERR);
}

/** Flushes the handler's output, then writes \x1e marker \x1e to fd 1 and fd 2. */
function markers(string $marker): void
{
    flush_output();
    $m = "\x1e" . $marker . "\x1e";
    @fwrite(STDOUT, $m);
    @fflush(STDOUT);
    @fwrite(STDERR, $m);
    @fflush(STDERR);
}

/** The callable FUNCTION names; throws when there is none. */
function resolve(string $function, string $file): callable
{
    if (str_contains($function, '::')) {
        [$class, $method] = explode('::', $function, 2);
        if (!class_exists($class)) {
            throw new \RuntimeException("no class $class defined by $file");
        }
        if (!method_exists($class, $method)) {
            throw new \RuntimeException("class $class has no method $method");
        }
        $rm = new \ReflectionMethod($class, $method);
        if (!$rm->isStatic() || !$rm->isPublic()) {
            throw new \RuntimeException("$class::$method must be a public static method");
        }
        return [$class, $method];
    }
    if (!function_exists($function)) {
        throw new \RuntimeException("no function $function defined by $file");
    }
    return $function;
}

/** Decoded fields of a C line, or a string saying what is wrong with it. */
function parse(string $line): array|string
{
    $f = explode("\t", rtrim($line, "\n"));
    if (count($f) !== 7 || $f[0] !== 'C') {
        return 'not a call line';
    }
    $taskId = base64_decode($f[1], true);
    $payload = base64_decode($f[5], true);
    if ($taskId === false || $payload === false || !ctype_digit($f[2]) || !preg_match('/^-?\d+$/', $f[3])) {
        return 'malformed call line';
    }
    $labels = [];
    if ($f[4] !== '') {
        foreach (explode(',', $f[4]) as $pair) {
            $kv = explode(':', $pair, 2);
            $k = base64_decode($kv[0], true);
            $v = count($kv) === 2 ? base64_decode($kv[1], true) : false;
            if ($k === false || $v === false) {
                return 'malformed label pair';
            }
            $labels[$k] = $v;
        }
    }
    return [$taskId, (int) $f[2], (int) $f[3], $labels, $payload, $f[6]];
}

/** `P\t<pct>\t<b64 msg>\n` (docs/function-runtimes.md §2); pct empty when not a finite number. */
function progress_line($pct, $msg): string
{
    $p = (is_int($pct) || is_float($pct)) && is_finite((float) $pct) ? (string) $pct : '';
    return "P\t" . $p . "\t" . base64_encode((string) $msg) . "\n";
}

/** The reply line for one call (computed before the markers are written). */
function invoke(callable $fn, string $payload, array $ctx): string
{
    try {
        $value = $fn($payload, $ctx);
        if ($value === null) {
            return "R\tnull\t\n";
        }
        if (is_string($value)) {
            return "R\tstring\t" . base64_encode($value) . "\n";
        }
        $json = json_encode(
            $value,
            JSON_THROW_ON_ERROR | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_PRESERVE_ZERO_FRACTION,
        );
        return "R\tjson\t" . base64_encode($json) . "\n";
    } catch (\Throwable $e) {
        return error_line(get_class($e) . ': ' . $e->getMessage(), describe($e));
    }
}

/**
 * Opens fd 3/4 and splits BERTH_HANDLER; exits after an E line when it is unusable. A shutdown
 * function answers E for a fatal error (uncatchable, e.g. a redeclared function) or an exit while
 * the handler file loads, until loaded() is called.
 *
 * @return array{0: resource, 1: resource, 2: string, 3: string, 4: string} in, out, path, function, file
 */
function prepare(): array
{
    $out = fopen('php://fd/4', 'wb');
    $in = fopen('php://fd/3', 'rb');
    if ($out === false || $in === false) {
        fwrite(STDERR, "berth php runtime: fd 3/4 not open\n");
        exit(2);
    }
    $spec = (string) getenv('BERTH_HANDLER');
    register_shutdown_function(static function () use ($out, $spec): void {
        if (loaded(null)) {
            return;
        }
        $err = error_get_last();
        $msg = $err === null ? "the handler file ended the process while loading ($spec)"
            : "fatal error loading $spec: {$err['message']}";
        $stack = $err === null ? '' : "{$err['file']}:{$err['line']}";
        flush_output();
        @fwrite($out, error_line($msg, $stack));
        @fflush($out);
    });
    $sep = strpos($spec, ':');
    $file = trim($sep === false ? $spec : substr($spec, 0, $sep));
    $function = trim($sep === false ? '' : substr($spec, $sep + 1));
    if ($file === '' || $function === '') {
        fail($out, new \InvalidArgumentException(
            $spec === '' ? 'BERTH_HANDLER is not set (expected FILE:FUNCTION)' : "handler \"$spec\" must be FILE:FUNCTION"
        ));
    }
    $path = $file[0] === '/' ? $file : getcwd() . '/' . $file;
    if (!is_file($path)) {
        fail($out, new \RuntimeException("handler file $file not found in " . getcwd()));
    }
    return [$in, $out, $path, $function, $file];
}

/** Whether loading finished (answered L or E); pass true to record that it did. */
function loaded(?bool $set): bool
{
    static $done = false;
    if ($set !== null) {
        $done = $set;
    }
    return $done;
}

/** Answers E for a load failure and exits 1. */
function fail($out, \Throwable $e): never
{
    loaded(true);
    flush_output();
    fwrite($out, error_line(get_class($e) . ': ' . $e->getMessage(), describe($e)));
    fflush($out);
    exit(1);
}

/** Answers L, then serves C lines until EOF on fd 3 and exits 0. */
function serve($in, $out, callable $fn): never
{
    loaded(true);
    flush_output();
    fwrite($out, "L\n");
    fflush($out);
    while (($line = fgets($in)) !== false) {
        $call = parse($line);
        if (is_string($call)) {
            $parts = explode("\t", rtrim($line, "\n"));
            $marker = end($parts);
            if (is_string($marker) && preg_match('/^[0-9a-f]{32}$/', $marker)) {
                markers($marker);
            }
            fwrite($out, error_line("berth runtime: $call", ''));
            fflush($out);
            continue;
        }
        [$taskId, $attempt, $deadline, $labels, $payload, $marker] = $call;
        $ctx = [
            'taskId' => $taskId,
            'attempt' => $attempt,
            'labels' => $labels,
            'deadlineMs' => $deadline,
            'remainingMs' => static fn (): int => max(0, $deadline - (int) floor(microtime(true) * 1000)),
            'progress' => static function ($pct = null, $msg = '') use ($out): void {
                fwrite($out, progress_line($pct, $msg));
                fflush($out);
            },
        ];
        $reply = invoke($fn, $payload, $ctx);
        markers($marker);
        fwrite($out, $reply);
        fflush($out);
    }
    exit(0);
}

// The handler file is required here, at the top level, so that its top-level variables are globals
// (namespaces do not scope variables); the runtime's own globals are prefixed $__berth.
$__berth = prepare();
try {
    require_once $__berth[2];
    $__berth_fn = resolve($__berth[3], $__berth[4]);
} catch (\Throwable $__berth_e) {
    fail($__berth[1], $__berth_e);
}
serve($__berth[0], $__berth[1], $__berth_fn);
