#!/usr/bin/env python3
"""A testee that forwards to a real one (`indiv testee`, started as its child)
but drops `install_ms` from every `reset`: its installer takes no time, as
some engines' do, so no call can meet an install under way. Used by the
goals tests. Usage: instant_install.py INDIV"""
import json
import sys

from proxy import Proxy

proxy = Proxy(sys.argv[1])
for line in sys.stdin:
    message = json.loads(line)
    if message.get("op") == "reset":
        message.pop("install_ms", None)
        line = json.dumps(message)
    proxy.send(line)
