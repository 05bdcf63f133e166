"""What the test testees that wrap a real testee share: start `INDIV testee`
as a child, forward its output line by line (one writer at a time), and pass
lines on to it. Each wrapper changes one thing on the way."""
import subprocess
import sys
import threading


class Proxy:
    def __init__(self, indiv, on_output=None):
        self.child = subprocess.Popen([indiv, "testee"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                      bufsize=1)
        self._lock = threading.Lock()
        self._on_output = on_output or (lambda line: line)
        threading.Thread(target=self._forward, daemon=True).start()

    def write(self, line):
        """Writes one line to the harness."""
        with self._lock:
            sys.stdout.write(line + "\n")
            sys.stdout.flush()

    def _forward(self):
        for line in self.child.stdout:
            out = self._on_output(line.rstrip("\n"))
            if out is not None:
                self.write(out)

    def send(self, line):
        """Passes one line from the harness on to the real testee; after
        `bye`, waits for it and exits."""
        self.child.stdin.write(line if line.endswith("\n") else line + "\n")
        self.child.stdin.flush()
        if '"bye"' in line:
            self.child.wait()
            sys.exit(0)
