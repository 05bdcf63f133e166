#!/usr/bin/env python3
"""Writes the committed seed corpora under fuzz/seeds/ from the rule fixtures
and example traces, plus fixed pseudo-random inputs for the structured
targets. Deterministic: running it again gives the same files. It removes
the seeds it no longer writes: files named as it names seeds (16 hex digits),
never another, such as the boundary catalogue's (`boundary-*`, which
gen/tests/it/boundaries.rs writes).

With --check it writes nothing and exits with 1, naming each seed that is
missing, different or stale: gen/tests/it/fuzz_seeds.rs runs it so."""
import argparse
import hashlib
import pathlib
import random
import re
import sys
import tomllib

root = pathlib.Path(__file__).resolve().parent.parent
parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--check", action="store_true", help="write nothing; fail on a seed out of date")
parser.add_argument("--seeds", type=pathlib.Path, default=root / "fuzz" / "seeds", help="the seed folders")
args = parser.parse_args()

# Every seed, by (target, file name): the name is its SHA-1's first 16 digits.
wanted = {}


def write(target, data):
    wanted[(target, hashlib.sha1(data).hexdigest()[:16])] = data


traces = [p.read_bytes() for p in sorted((root / "examples" / "traces").glob("*.jsonl"))]
for path in sorted((root / "specdoc" / "tests" / "rules").glob("*.toml")):
    for example in tomllib.loads(path.read_text(encoding="utf-8"))["example"]:
        # The SERVICE-* fixtures hold a status and exchanges, not a trace.
        if "trace" in example:
            traces.append(example["trace"].lstrip("\n").encode())
lines = sorted({line for trace in traces for line in trace.splitlines() if line})
for trace in traces:
    write("parse_trace", trace)
for line in lines:
    write("roundtrip", line)
    write("writer_agree", line)
# reader_agree: whole traces and single lines, as parse_trace and roundtrip,
# plus lines in the forms the fast decoder leaves to serde_json (escapes,
# floats, surrogates, long integers) and broken ones, so both paths are fed.
for trace in traces:
    write("reader_agree", trace)
for line in lines:
    write("reader_agree", line)
for line in [
    b'{"kind":"call","api":"GetSecurityVersion","version":"\\ud83d\\ude00 \\u0041 \\/","hr":"S_OK"}',
    b'{"kind":"call","api":"GetSecurityVersion","version":"\\ud800","hr":"S_OK"}',
    b'{"kind":"status","status":25,"hr":-2147024809,"ts":1.5e3}',
    b'{"kind":"event","event":"MEWMDRMIndividualizationCompleted","hr":"S_OK","ts":18446744073709551616}',
    b'{"kind":"event","event":"MEWMDRMIndividualizationCompleted","hr":"S_OK","ts":-0}',
    b'{"kind":"call","api":"Individualize","flags":01,"hr":"S_OK"}',
    b'{"kind":"call","api":"Individualize","flags":1,"flags":1,"hr":"S_OK"}',
    b' { "kind" : "call" , "api" : "Open" , "required_version" : "2.2" } \r',
    b'{"kind":"call","api":"Open","required_version":"2.\xff"}',
    b'{"kind":"call","api":[[[[[[[[[[',
]:
    write("reader_agree", line)
rng = random.Random(20261121)
for target in ("check_records", "engine_scenario"):
    for size in (16, 64, 128, 256, 512) * 6:
        write(target, bytes(rng.getrandbits(8) for _ in range(size)))


def owned(path):
    """A seed file this script is responsible for: named as it names seeds."""
    return path.is_file() and re.fullmatch("[0-9a-f]{16}", path.name) is not None


targets = sorted({target for target, _ in wanted})
if args.check:
    problems = []
    for (target, name), data in sorted(wanted.items()):
        path = args.seeds / target / name
        if not path.is_file():
            problems.append(f"{path}: missing")
        elif path.read_bytes() != data:
            problems.append(f"{path}: differs from what make-seeds.py writes")
    for target in targets:
        folder = args.seeds / target
        for path in sorted(folder.iterdir()) if folder.is_dir() else []:
            if owned(path) and (target, path.name) not in wanted:
                problems.append(f"{path}: stale (make-seeds.py no longer writes it)")
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{len(problems)} seeds out of date: run fuzz/make-seeds.py", file=sys.stderr)
        sys.exit(1)
else:
    for target in targets:
        folder = args.seeds / target
        folder.mkdir(parents=True, exist_ok=True)
        for path in folder.iterdir():
            if owned(path) and (target, path.name) not in wanted:
                path.unlink()
    for (target, name), data in wanted.items():
        (args.seeds / target / name).write_bytes(data)
