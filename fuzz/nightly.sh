#!/usr/bin/env bash
# The nightly fuzz job. Runs every fuzz target for FUZZ_SECONDS (per target),
# as many at once as the machine has cores, then merges and minimises each
# corpus. Every crash is minimised (`cargo fuzz tmin`) and turned into a
# regression case under gen/tests/regressions/, which `cargo test`
# replays; the job then exits 1 and prints how to reproduce each crash.
#
# Environment:
#   FUZZ_SECONDS   seconds per target (default 600)
#   FUZZ_JOBS      targets run at once (default: nproc)
#   FUZZ_TARGETS   space-separated subset (default: all)
#   FUZZ_TIMEOUT   libFuzzer -timeout per input, seconds (default 10)
#   FUZZ_RSS_MB    libFuzzer -rss_limit_mb (default 2048)
#   FUZZ_SANITIZER none (default; the code forbids unsafe) or address
#   FUZZ_TOOLCHAIN a rustup toolchain with nightly features (default: nightly if
#                  installed, else stable with RUSTC_BOOTSTRAP=1)
#
# Each target's libFuzzer options (its -max_len) are in options/TARGET.options,
# the file ClusterFuzzLite reads too; its cargo-fuzz build flags, if any, in
# options/TARGET.build (--no-trace-compares for the structured targets, which
# run about twice as fast without comparison tracing and reach as many edges:
# BENCHMARKS.md, "Fuzzing speed"), which .clusterfuzzlite/build.sh reads too.
# A target with build flags is built into a target directory of its own, so
# the two builds do not undo each other.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
cd "$here"

seconds=${FUZZ_SECONDS:-600}
jobs=${FUZZ_JOBS:-$(nproc)}
timeout=${FUZZ_TIMEOUT:-10}
rss=${FUZZ_RSS_MB:-2048}
sanitizer=${FUZZ_SANITIZER:-none}
toolchain=${FUZZ_TOOLCHAIN:-}
if [ -z "$toolchain" ]; then
  if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then toolchain=nightly; else toolchain=stable; fi
fi
if [ "$toolchain" != nightly ]; then export RUSTC_BOOTSTRAP=1; fi
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
fuzz() { cargo "+$toolchain" fuzz "$@"; }
# The build flags of options/TARGET.build and, with any, a target directory
# of their own (one word per line).
build_args() {
  [ -f "options/$1.build" ] || return 0
  read -r -a flags <"options/$1.build"
  printf '%s\n' "${flags[@]}" --target-dir "target/variant$(printf '%s' "${flags[*]}" | tr -c 'a-z0-9' '-')"
}

targets=${FUZZ_TARGETS:-$(fuzz list | tr "\n" " ")}
mkdir -p logs corpus artifacts
echo "== building (${toolchain}, sanitizer ${sanitizer})"
for t in $targets; do
  mapfile -t build < <(build_args "$t")
  fuzz build -O -s "$sanitizer" "${build[@]}" "$t"
done

# The libFuzzer flags of options/TARGET.options ([libfuzzer] key = value), as
# -key=value arguments.
options() {
  [ -f "options/$1.options" ] || return 0
  sed -n 's/^ *\([a-z_]*\) *= *\([^ ]*\) *$/-\1=\2/p' "options/$1.options"
}

run_one() {
  t=$1
  mkdir -p "corpus/$t" "artifacts/$t"
  dict=()
  [ -f "dicts/$t.dict" ] && dict=("-dict=dicts/$t.dict")
  mapfile -t opts < <(options "$t")
  mapfile -t build < <(build_args "$t")
  # A crash ends the run early; the summary below picks it up from artifacts/.
  fuzz run -O -s "$sanitizer" "${build[@]}" "$t" "corpus/$t" "seeds/$t" -- \
    -max_total_time="$seconds" -timeout="$timeout" -rss_limit_mb="$rss" \
    -print_final_stats=1 "${opts[@]}" "${dict[@]}" >"logs/$t.log" 2>&1 || true
}
export -f run_one fuzz options build_args
export seconds timeout rss sanitizer toolchain
echo "== fuzzing: $targets (${seconds}s each, ${jobs} at once)"
printf '%s\n' $targets | xargs -P "$jobs" -I{} bash -c 'run_one {}'

echo "== merging and minimising corpora"
for t in $targets; do
  mapfile -t opts < <(options "$t")
  mapfile -t build < <(build_args "$t")
  fuzz cmin -O -s "$sanitizer" "${build[@]}" "$t" "corpus/$t" -- -rss_limit_mb="$rss" "${opts[@]}" >>"logs/$t.log" 2>&1 || true
done

echo "== results"
printf '%-16s %10s %14s %8s %10s %8s\n' target exec/s executions corpus features crashes
crashes=0
for t in $targets; do
  log="logs/$t.log"
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || echo '?')
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || echo '?')
  feats=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo '?')
  size=$(find "corpus/$t" -type f | wc -l)
  found=$(find "artifacts/$t" -type f \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)
  printf '%-16s %10s %14s %8s %10s %8s\n' "$t" "$rate" "$execs" "$size" "$feats" "$found"
  crashes=$((crashes + found))
done

if [ "$crashes" -gt 0 ]; then
  echo "== crashes: minimising and turning each into a regression case"
  mkdir -p "$root/gen/tests/regressions"
  for t in $targets; do
    for crash in $(find "artifacts/$t" -type f \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' \)); do
      mapfile -t build < <(build_args "$t")
      fuzz tmin -O -s "$sanitizer" "${build[@]}" "$t" "$crash" -- -runs=2000 >>"logs/$t.log" 2>&1 || true
      small=$(ls -t "artifacts/$t"/minimized-from-* 2>/dev/null | head -1 || true)
      [ -n "$small" ] || small=$crash
      name="$t-$(sha256sum "$small" | cut -c1-12)"
      (cd "$root" && cargo run -q -- fuzz-case "$t" "fuzz/$small") \
        >"$root/gen/tests/regressions/$name.toml"
      echo "crash in $t: gen/tests/regressions/$name.toml"
      echo "  reproduce: (cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run -s none ${build[*]} $t $small)"
    done
  done
  echo "$crashes crash(es); fix them, keep the regression cases, and run cargo test"
  exit 1
fi
echo "no crashes"
