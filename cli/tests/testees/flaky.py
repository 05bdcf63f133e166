#!/usr/bin/env python3
"""A testee that forwards to a real one (`indiv testee`, started as its child)
and, in every K-th case it is reset for, writes a line that is not a record
before its first call's record: an ERROR that comes and goes from play to
play, as a timing-dependent defect does. Used by the --repeat and
--until-fail tests. Usage: flaky.py K INDIV"""
import json
import sys

from proxy import Proxy

every = int(sys.argv[1])
proxy = Proxy(sys.argv[2])
resets = 0
spoil = False
for line in sys.stdin:
    op = json.loads(line).get("op")
    if op == "reset":
        resets += 1
        spoil = resets % every == 0
    if op == "call" and spoil:
        spoil = False
        proxy.write("flaky: this is not a record")
    proxy.send(line)
