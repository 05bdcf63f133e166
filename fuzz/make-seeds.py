#!/usr/bin/env python3
"""Writes the committed seed corpora under fuzz/seeds/ from the rule fixtures
and example traces, plus fixed pseudo-random inputs for the structured
targets. Deterministic: running it again gives the same files."""
import hashlib
import pathlib
import random
import tomllib

root = pathlib.Path(__file__).resolve().parent.parent
seeds = root / "fuzz" / "seeds"


def write(target, data):
    folder = seeds / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / hashlib.sha1(data).hexdigest()[:16]).write_bytes(data)


traces = [p.read_bytes() for p in sorted((root / "examples" / "traces").glob("*.jsonl"))]
for path in sorted((root / "specdoc" / "tests" / "rules").glob("*.toml")):
    for example in tomllib.loads(path.read_text())["example"]:
        traces.append(example["trace"].lstrip("\n").encode())
lines = sorted({line for trace in traces for line in trace.splitlines() if line})
for trace in traces:
    write("parse_trace", trace)
for line in lines:
    write("roundtrip", line)
rng = random.Random(20261121)
for target in ("check_records", "engine_scenario"):
    for size in (16, 64, 128, 256, 512) * 6:
        write(target, bytes(rng.getrandbits(8) for _ in range(size)))
