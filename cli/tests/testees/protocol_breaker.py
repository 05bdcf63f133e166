#!/usr/bin/env python3
"""A testee that forwards to a real one (`indiv testee`, started as its child)
but breaks the testee protocol in one way, from the first case on. Used by the
--validate-protocol tests. Usage: protocol_breaker.py MODE INDIV

Modes:
  hello-after-reset  answers reset with its hello again instead of ready
  no-language        its hello lacks implementation.language
  unknown-field      its ready carries a field the protocol does not have
  unknown-op         answers reset with {"op":"redy"}
  bad-record         its first call record carries an unknown field
"""
import json
import subprocess
import sys
import threading

mode, indiv = sys.argv[1], sys.argv[2]
child = subprocess.Popen([indiv, "testee"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
hello = None
records = 0


def dump(message):
    return json.dumps(message, separators=(",", ":"))


def rewrite(line):
    """The line the testee writes in place of the real engine's `line`."""
    global hello, records
    message = json.loads(line)
    if message.get("op") == "hello":
        hello = line
        if mode == "no-language":
            del message["implementation"]["language"]
            return dump(message)
    if message.get("op") == "ready":
        if mode == "hello-after-reset":
            return hello
        if mode == "unknown-field":
            return dump({"op": "ready", "extra": 1})
        if mode == "unknown-op":
            return dump({"op": "redy"})
    if message.get("kind") == "call":
        records += 1
        if mode == "bad-record" and records == 1:
            message["extra"] = 1
            return dump(message)
    return line


def forward():
    for line in child.stdout:
        sys.stdout.write(rewrite(line.rstrip("\n")) + "\n")
        sys.stdout.flush()


threading.Thread(target=forward, daemon=True).start()

for line in sys.stdin:
    child.stdin.write(line)
    child.stdin.flush()
    if json.loads(line).get("op") == "bye":
        child.stdin.close()
        child.wait()
        sys.exit(0)
