#!/usr/bin/env python3
"""A testee that forwards to a real one (`indiv testee`, started as its child)
and misbehaves in one way when the case is named `busy`. Used by the certify
robustness tests. Usage: misbehaving.py MODE PIDFILE INDIV"""
import json
import os
import subprocess
import sys
import threading
import time

mode, pidfile, indiv = sys.argv[1], sys.argv[2], sys.argv[3]
child = subprocess.Popen([indiv, "testee"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
with open(pidfile, "a") as f:
    f.write(f"{os.getpid()} {child.pid}\n")
out_lock = threading.Lock()
misbehaving = threading.Event()


def write(line):
    with out_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def forward():
    for line in child.stdout:
        if not misbehaving.is_set():
            write(line.rstrip("\n"))


threading.Thread(target=forward, daemon=True).start()

for line in sys.stdin:
    message = json.loads(line)
    op = message.get("op")
    if op == "hello" and mode == "exit-at-hello":
        sys.exit(0)
    if op == "reset" and message.get("case") == "busy" and mode == "slow-ready":
        time.sleep(20)  # then answers as the real testee does
    elif op == "reset" and message.get("case") == "busy":
        misbehaving.set()
        write('{"op":"ready"}')
        if mode == "crash":
            os._exit(3)
        if mode == "hang":
            time.sleep(3600)
        if mode == "garbage":
            write("this is not JSON")
        if mode == "long-line":
            write('{"kind":"call","api":"Open","required_version":"' + "9" * (2 << 20) + '"}')
        if mode == "flood":
            record = '{"kind":"status","status":"WMT_NO_RIGHTS_EX"}'
            for _ in range(100_001):
                write(record)
        if mode == "ignore-end":
            # Answers each call (refusing it), so the case gets as far as end.
            for line in sys.stdin:
                message = json.loads(line)
                if message.get("op") == "call":
                    call = {k: v for k, v in message.items() if k != "op"}
                    write(json.dumps({"kind": "call", **call, "hr": "E_UNEXPECTED"}))
                if message.get("op") == "end":
                    time.sleep(3600)
        time.sleep(3600)
    if op == "reset":
        misbehaving.clear()
    child.stdin.write(line)
    child.stdin.flush()
    if op == "bye":
        child.wait()
        sys.exit(0)
