"""Berth function runtime for Python 3.11 and 3.13 (docs/function-runtimes.md section 2).

Standard library only; started by ./start with cwd = the code directory.

Contract:
- BERTH_HANDLER = FILE:FUNCTION. FILE (a .py path relative to the cwd) is loaded once as a
  module (the cwd is first on sys.path, so the package's own modules import) and FUNCTION
  looked up in it. Loaded -> `L` on fd 4; any failure -> `E` on fd 4 and exit 1.
- fd 3 carries `C` lines, one call each, served one at a time in order; EOF -> exit 0.
- Per call: FUNCTION(payload: bytes, ctx) is called; an awaitable result (async def) is run on
  one event loop reused across calls. The value maps bytes/bytearray/memoryview -> bytes,
  str -> string, None -> null, anything else -> json.dumps -> json (failure -> `E`). An
  exception -> `E` with "TypeName: message" and the traceback. Then stdout and stderr are
  flushed, the marker \\x1e<marker>\\x1e is written to fd 1 and fd 2, and only then the reply
  line to fd 4.
- A handler calling sys.exit ends the runtime (the launcher reports a crash).
"""

import binascii
import importlib.util
import json
import math
import os
import sys
import time
import traceback

CALLS_FD = 3
REPLIES_FD = 4
MARKER_LENGTH = 32
NULL_REPLY = b"R\tnull\t\n"

_b64encode = binascii.b2a_base64  # appends "\n" unless newline=False
_b64decode = binascii.a2b_base64
_to_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode

# Leading traceback frames from these files are the runtime's, not the handler's.
_OWN_FILE = os.path.abspath(__file__)
_ASYNCIO_DIR = os.path.join(os.path.dirname(os.__file__), "asyncio") + os.sep


class Context:
    """The per-call context handed to the handler."""

    __slots__ = ("task_id", "attempt", "labels", "deadline_ms")

    def __init__(self, task_id, attempt, labels, deadline_ms):
        self.task_id = task_id
        self.attempt = attempt
        self.labels = labels
        self.deadline_ms = deadline_ms

    def remaining_ms(self):
        """Milliseconds left until deadline_ms, never negative."""
        left = self.deadline_ms - time.time_ns() // 1_000_000
        return left if left > 0 else 0

    def progress(self, pct=None, msg=""):
        """Reports progress: pct (0-100, or None) and an optional message. Best effort: the launcher
        forwards the newest report at most a few times a second; it never fails the call."""
        _write_all(REPLIES_FD, _progress_line(pct, msg))

    def __repr__(self):
        return f"Context(task_id={self.task_id!r}, attempt={self.attempt}, deadline_ms={self.deadline_ms})"


def _progress_line(pct, msg):
    """`P\\t<pct>\\t<b64 msg>\\n` (docs/function-runtimes.md section 2); pct empty when not a number."""
    p = ""
    if isinstance(pct, (int, float)) and not isinstance(pct, bool) and math.isfinite(pct):
        p = repr(float(pct)) if isinstance(pct, float) else str(pct)
    text = "" if msg is None else str(msg)
    return b"P\t" + p.encode("ascii") + b"\t" + binascii.b2a_base64(text.encode("utf-8", "replace"), newline=False) + b"\n"


class LoadError(Exception):
    """A handler that cannot be loaded; its message is the whole reason."""


# ---- output ----------------------------------------------------------------------------------


def _write_all(fd, data):
    written = os.write(fd, data)
    if written == len(data):
        return
    view = memoryview(data)[written:]
    while view:
        view = view[os.write(fd, view) :]


def _flush_std():
    """Flushes sys.stdout/sys.stderr, and the original streams should the handler have swapped them."""
    for stream, original in ((sys.stdout, sys.__stdout__), (sys.stderr, sys.__stderr__)):
        try:
            stream.flush()
        except Exception:
            pass
        if original is not stream and original is not None:
            try:
                original.flush()
            except Exception:
                pass


def _mark(fd, marker):
    try:
        _write_all(fd, marker)
    except OSError:
        pass  # fd 1/2 closed: the launcher counts that as marked


# ---- value and error mapping -------------------------------------------------------------------


def _user_traceback(tb):
    """Drops the runtime's own leading frames (and asyncio's / importlib's) from tb."""
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if name != _OWN_FILE and not name.startswith(_ASYNCIO_DIR) and not name.startswith("<frozen importlib"):
            return tb
        tb = tb.tb_next
    return None


def _error_reply(exc):
    try:
        text = str(exc)
    except Exception:
        text = ""
    if isinstance(exc, LoadError):
        message = text
    else:
        message = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    try:
        stack = "".join(traceback.format_exception(type(exc), exc, _user_traceback(exc.__traceback__)))
    except Exception:
        stack = ""
    return (
        b"E\t"
        + _b64encode(message.encode("utf-8", "replace"), newline=False)
        + b"\t"
        + _b64encode(stack.encode("utf-8", "replace"))
    )


def _value_reply(value):
    if value is None:
        return NULL_REPLY
    if isinstance(value, (bytes, bytearray)):
        return b"R\tbytes\t" + _b64encode(value)
    if isinstance(value, str):
        return b"R\tstring\t" + _b64encode(value.encode("utf-8"))
    if isinstance(value, memoryview):
        return b"R\tbytes\t" + _b64encode(value.tobytes())
    return b"R\tjson\t" + _b64encode(_to_json(value).encode("utf-8"))


# ---- calls ----------------------------------------------------------------------------------


def _decode_labels(field):
    """labels field: comma-separated b64(key):b64(value) pairs, empty for none."""
    labels = {}
    if field:
        for pair in field.split(b","):
            key, _, value = pair.partition(b":")
            labels[_b64decode(key).decode("utf-8")] = _b64decode(value).decode("utf-8")
    return labels


class _Loop:
    """The one asyncio event loop awaitable results run on, created on first use."""

    loop = None

    @classmethod
    def run(cls, awaitable):
        if cls.loop is None:
            import asyncio

            cls.loop = asyncio.new_event_loop()
            asyncio.set_event_loop(cls.loop)
        return cls.loop.run_until_complete(awaitable)


def _run_call(handler, line):
    """Runs one call line; returns (marker bytes, reply line)."""
    fields = line.rstrip(b"\n").split(b"\t")
    if len(fields) != 7 or fields[0] != b"C" or len(fields[6]) != MARKER_LENGTH:
        raise SystemExit(f"berth python runtime: malformed call line ({len(line)} bytes)")
    _, task_id, attempt, deadline_ms, labels, payload, marker = fields
    ctx = Context(_b64decode(task_id).decode("utf-8"), int(attempt), _decode_labels(labels), int(deadline_ms))
    try:
        value = handler(_b64decode(payload), ctx)
        if hasattr(value, "__await__"):
            value = _Loop.run(value)
        reply = _value_reply(value)
    except (SystemExit, KeyboardInterrupt):
        raise
    except BaseException as exc:  # noqa: BLE001 - every handler failure becomes an E line
        reply = _error_reply(exc)
    return b"\x1e" + marker + b"\x1e", reply


def _serve(handler):
    calls = os.fdopen(CALLS_FD, "rb", buffering=1 << 16)
    readline = calls.readline
    while True:
        line = readline()
        if not line:
            return
        marker, reply = _run_call(handler, line)
        _flush_std()
        _mark(1, marker)
        _mark(2, marker)
        _write_all(REPLIES_FD, reply)


# ---- loading ----------------------------------------------------------------------------------


def _module_name(file):
    """The dotted module name of a .py path relative to the cwd ("pkg/app.py" -> "pkg.app")."""
    rel = os.path.relpath(os.path.abspath(file))
    parts = rel[:-3].split(os.sep) if rel.endswith(".py") else [rel]
    if all(part.isidentifier() for part in parts):
        return ".".join(parts)
    return "berth_handler"


def _load_handler(spec):
    file, sep, name = spec.rpartition(":")
    if not sep or not file or not name:
        raise LoadError(f"BERTH_HANDLER must be FILE:FUNCTION, got {spec!r}")
    path = os.path.abspath(file)
    if not os.path.isfile(path):
        raise LoadError(f"handler file not found: {file}")
    module_name = _module_name(file)
    module_spec = importlib.util.spec_from_file_location(module_name, path)
    if module_spec is None or module_spec.loader is None:
        raise LoadError(f"handler file is not a Python module: {file}")
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[module_name] = module
    try:
        module_spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(module_name, None)
        raise
    handler = getattr(module, name, None)
    if not callable(handler):
        raise LoadError(f"{file} has no function {name!r}")
    return handler


def main():
    # The package's own modules import from the cwd; the runtime's directory is not importable.
    own_dir = os.path.dirname(_OWN_FILE)
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != own_dir]
    sys.path.insert(0, os.getcwd())
    try:
        handler = _load_handler(os.environ.get("BERTH_HANDLER", ""))
    except Exception as exc:  # noqa: BLE001 - every load failure becomes an E line
        reply = _error_reply(exc)
        _flush_std()
        _write_all(REPLIES_FD, reply)
        os._exit(1)
    _write_all(REPLIES_FD, b"L\n")
    _serve(handler)
    # EOF on fd 3: done. os._exit so threads the handler left running cannot keep us alive.
    _flush_std()
    os._exit(0)


if __name__ == "__main__":
    main()
