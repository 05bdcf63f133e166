#!/usr/bin/env python3
"""A testee that speaks the protocol (hello, ready, ended, bye) but does no
work. Used by the certify goal tests. Usage: unhelpful.py MODE, where MODE is
`silent` (never answers a call) or `refuses` (answers every call E_UNEXPECTED)."""
import json
import sys

mode = sys.argv[1]


def write(message):
    sys.stdout.write(json.dumps(message, separators=(",", ":")) + "\n")
    sys.stdout.flush()


for line in sys.stdin:
    message = json.loads(line)
    op = message.get("op")
    if op == "hello":
        write({"op": "hello", "protocol": "indiv-testee/1",
               "implementation": {"name": "unhelpful", "version": "0", "language": "Python"},
               "capabilities": ["reader", "security"]})
    elif op == "reset":
        write({"op": "ready"})
    elif op == "call" and mode == "refuses":
        record = {"kind": "call", **{k: v for k, v in message.items() if k != "op"}, "hr": "E_UNEXPECTED"}
        write(record)
    elif op == "end":
        write({"op": "ended"})
    elif op == "bye":
        sys.exit(0)
