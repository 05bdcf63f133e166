#!/usr/bin/env python3
"""A testee that says hello, then at the first reset writes to stderr a few
lines of chatter, a Python traceback, and LINES more lines (`noise 1` to
`noise LINES`), and exits without answering: its case is an ERROR whose
stderr excerpt must still show where the trouble began. Used by the certify
console tests. Usage: traceback.py LINES"""
import json
import sys

lines = int(sys.argv[1])
for line in sys.stdin:
    message = json.loads(line)
    op = message.get("op")
    if op == "hello":
        hello = {
            "op": "hello",
            "protocol": "indiv-testee/1",
            "implementation": {"name": "traceback", "version": "0", "language": "Python"},
            "capabilities": ["reader", "security"],
        }
        sys.stdout.write(json.dumps(hello) + "\n")
        sys.stdout.flush()
    elif op == "reset":
        sys.stderr.write("starting\nloading the component\n")
        sys.stderr.write("Traceback (most recent call last):\n")
        sys.stderr.write('  File "adapter.py", line 1, in <module>\n')
        sys.stderr.write("KeyError: 'service_url'\n")
        for i in range(1, lines + 1):
            sys.stderr.write(f"noise {i}\n")
        sys.stderr.flush()
        sys.exit(1)
    elif op == "bye":
        sys.exit(0)
