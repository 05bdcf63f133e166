#!/usr/bin/env python3
"""A testee that forwards to a real one (`indiv testee`, started as its child)
but refuses every cancel call with E_UNEXPECTED, without telling the real one.
Used by the certify goal tests. Usage: refuses_cancels.py INDIV"""
import json
import subprocess
import sys
import threading

child = subprocess.Popen([sys.argv[1], "testee"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
out_lock = threading.Lock()


def write(line):
    with out_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def forward():
    for line in child.stdout:
        write(line.rstrip("\n"))


threading.Thread(target=forward, daemon=True).start()

for line in sys.stdin:
    message = json.loads(line)
    if message.get("op") == "call" and message.get("api") in ("CancelIndividualization", "CancelAsyncOperation"):
        write(json.dumps({"kind": "call", "api": message["api"], "hr": "E_UNEXPECTED"}, separators=(",", ":")))
        continue
    child.stdin.write(line)
    child.stdin.flush()
    if message.get("op") == "bye":
        child.wait()
        sys.exit(0)
