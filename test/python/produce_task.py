"""A Python producer of Berth tasks, written from docs/wire-format.md alone: Avro body encoded
with schemas/task-event.v1.avsc, framed as 0x00 + big-endian schema id 1001, produced to
<prefix>.tasks with the task id as key. Also decodes a framed TaskResult (hex on stdin) to JSON,
to show results are readable from Python too.

usage: produce_task.py produce --brokers B --topic T --id ID --code NAME [--revision N] --payload TEXT
       produce_task.py decode-result < hex
"""
import argparse
import io
import json
import struct
import sys
import time
from pathlib import Path

import fastavro
from confluent_kafka import Producer

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"
TASK_EVENT_V1 = 1001
# TaskResult version N is framed with id 2000 + N (schemas/ids.json); v2 added returnValue.
TASK_RESULT_IDS = range(2001, 2100)


def load(name):
    return fastavro.parse_schema(json.loads((SCHEMAS / name).read_text()))


def frame(schema_id, schema, record):
    buf = io.BytesIO()
    buf.write(struct.pack(">bI", 0, schema_id))
    fastavro.schemaless_writer(buf, schema, record)
    return buf.getvalue()


def produce(args):
    task = {
        "id": args.id,
        "code": {"name": args.code, "revision": args.revision},
        "inline": None,
        "payload": args.payload.encode(),
        "priority": 2,
        "timeoutMs": 30000,
        "maxAttempts": None,
        "attempt": 1,
        "memoryBytes": None,
        "network": None,
        "labels": {"producer": "python"},
        "createdAtMs": int(time.time() * 1000),
    }
    value = frame(TASK_EVENT_V1, load("task-event.v1.avsc"), task)
    errors = []
    producer = Producer({"bootstrap.servers": args.brokers, "enable.idempotence": True, "acks": "all"})
    producer.produce(args.topic, key=args.id, value=value,
                     on_delivery=lambda err, msg: errors.append(err) if err else None)
    producer.flush(15)
    if errors:
        print(f"delivery failed: {errors[0]}", file=sys.stderr)
        return 1
    print(json.dumps({"id": args.id, "bytes": len(value), "hex": value.hex()}))
    return 0


def decode_result():
    data = bytes.fromhex(sys.stdin.read().strip())
    magic, schema_id = struct.unpack(">bI", data[:5])
    if magic != 0 or schema_id not in TASK_RESULT_IDS:
        print(f"unexpected header {magic} {schema_id}", file=sys.stderr)
        return 1
    writer = load(f"task-result.v{schema_id - 2000}.avsc")
    record = fastavro.schemaless_reader(io.BytesIO(data[5:]), writer)
    value = record.get("returnValue")
    if value is not None:
        record["returnValue"] = {"kind": value["kind"], "data": value["data"].decode()}
    record["stdout"] = record["stdout"].decode()
    record["stderr"] = record["stderr"].decode()
    record["outputs"] = [{"name": o["name"], "bytes": len(o["data"])} for o in record["outputs"]]
    print(json.dumps(record))
    return 0


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("produce")
    p.add_argument("--brokers", default="127.0.0.1:9092")
    p.add_argument("--topic", required=True)
    p.add_argument("--id", required=True)
    p.add_argument("--code", required=True)
    p.add_argument("--revision", type=int, default=None)
    p.add_argument("--payload", default="")
    sub.add_parser("decode-result")
    args = parser.parse_args()
    return produce(args) if args.cmd == "produce" else decode_result()


if __name__ == "__main__":
    sys.exit(main())
