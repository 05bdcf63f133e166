#!/usr/bin/env python3
"""A testee that forwards to a real one (`indiv testee`, started as its child)
but takes SECONDS before it passes on each call of a case after the first,
as an engine on a loaded machine might: a call made when the download starts
reaches the engine long after. Used by the goals tests of the service's hold.
Usage: slow_calls.py INDIV SECONDS"""
import json
import sys
import time

from proxy import Proxy

proxy = Proxy(sys.argv[1])
delay = float(sys.argv[2])
calls = 0
for line in sys.stdin:
    message = json.loads(line)
    if message.get("op") == "reset":
        calls = 0
    elif message.get("op") == "call":
        calls += 1
        if calls > 1:
            time.sleep(delay)
    proxy.send(line)
