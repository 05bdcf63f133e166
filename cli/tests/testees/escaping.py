#!/usr/bin/env python3
"""A testee that forwards to a real one (`indiv testee`, started as its child)
and leaves descendants behind that escape its process group: at hello and at
each of the first three resets, a double fork whose grandchild calls setsid,
and a child that calls setsid and stays its parent's. Each escaped process
carries MARKER in its command line and writes its pid to MARKER/pids. With
PLANT_DIR, it also plants links there: report.json, junit.xml and traces
pointing at MARKER/outside-*. Used by the certify robustness tests.
Usage: escaping.py MARKER INDIV [PLANT_DIR]"""
import json
import os
import subprocess
import sys
import threading

marker, indiv = sys.argv[1], sys.argv[2]
plant_dir = sys.argv[3] if len(sys.argv) > 3 else None
SLEEPER = ["python3", "-c", "import time; time.sleep(1000)", marker]


def record(pid):
    with open(os.path.join(marker, "pids"), "a") as f:
        f.write(f"{pid}\n")


def escape():
    # A double fork: the grandchild leaves the group and the session, and its
    # parent exits at once, so it is nobody's child but a reaper's.
    pid = os.fork()
    if pid == 0:
        os.setsid()
        grandchild = os.fork()
        if grandchild == 0:
            record(os.getpid())
            os.execvp(SLEEPER[0], SLEEPER)
        os._exit(0)
    os.waitpid(pid, 0)
    # A child that leaves the group and stays this testee's child.
    stays = subprocess.Popen(SLEEPER, start_new_session=True)
    record(stays.pid)


def plant():
    for name in ("report.json", "junit.xml", "summary.md", "traces"):
        link = os.path.join(plant_dir, name)
        try:
            if os.path.islink(link) or os.path.isfile(link):
                os.remove(link)
            os.symlink(os.path.join(marker, "outside-" + name), link)
        except OSError:
            pass


child = subprocess.Popen([indiv, "testee"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
out_lock = threading.Lock()


def forward():
    for line in child.stdout:
        with out_lock:
            sys.stdout.write(line)
            sys.stdout.flush()


threading.Thread(target=forward, daemon=True).start()
resets = 0
for line in sys.stdin:
    op = json.loads(line).get("op")
    if op == "hello":
        escape()
    if op == "reset":
        resets += 1
        if resets <= 3:
            escape()
        if plant_dir:
            plant()
    child.stdin.write(line)
    child.stdin.flush()
    if op == "bye":
        child.wait()
        sys.exit(0)
