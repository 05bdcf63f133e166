#!/usr/bin/env python3
"""A testee that forwards to a real one (`indiv testee`, started as its child)
but writes one status record too many: a copy of a status record of the first
case, written after the harness may think that case is over. Used by the
certify case isolation tests. Usage: late_record.py INDIV MODE

MODE `after-ended`: right after answering the first case's `end` with `ended`.
MODE `before-exit`: after `bye`, just before exiting."""
import json
import subprocess
import sys
import threading

child = subprocess.Popen([sys.argv[1], "testee"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
mode = sys.argv[2]
out_lock = threading.Lock()
state = {"extra": None, "written": False}


def write(line):
    with out_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def forward():
    for line in child.stdout:
        line = line.rstrip("\n")
        message = json.loads(line)
        # The first case's status that names a service URL, else its first status.
        if message.get("kind") == "status" and not state["written"]:
            if state["extra"] is None or ("/response" in line and "/response" not in state["extra"]):
                state["extra"] = line
        write(line)
        if message.get("op") == "ended" and not state["written"]:
            state["written"] = True
            if mode == "after-ended":
                write(state["extra"])


forwarding = threading.Thread(target=forward, daemon=True)
forwarding.start()

for line in sys.stdin:
    message = json.loads(line)
    child.stdin.write(line)
    child.stdin.flush()
    if message.get("op") == "bye":
        child.wait()
        forwarding.join()
        if mode == "before-exit":
            write(state["extra"])
        sys.exit(0)
