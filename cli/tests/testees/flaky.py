#!/usr/bin/env python3
"""A testee that forwards to a real one (`indiv testee`, started as its child)
and, in every K-th case it is reset for, writes a line that is not a record
before its first call's record: an ERROR that comes and goes from play to
play, as a timing-dependent defect does. Used by the --repeat and
--until-fail tests. Usage: flaky.py K INDIV"""
import json
import subprocess
import sys
import threading

every, indiv = int(sys.argv[1]), sys.argv[2]
child = subprocess.Popen([indiv, "testee"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
out_lock = threading.Lock()


def write(line):
    with out_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def forward():
    for line in child.stdout:
        write(line.rstrip("\n"))


threading.Thread(target=forward, daemon=True).start()

resets = 0
spoil = False
for line in sys.stdin:
    op = json.loads(line).get("op")
    if op == "reset":
        resets += 1
        spoil = resets % every == 0
    if op == "call" and spoil:
        spoil = False
        write("flaky: this is not a record")
    child.stdin.write(line)
    child.stdin.flush()
    if op == "bye":
        child.wait()
        sys.exit(0)
