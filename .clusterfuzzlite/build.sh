#!/usr/bin/env bash
# ClusterFuzzLite build: compiles every cargo-fuzz target of fuzz/ (with the
# build flags of fuzz/options/TARGET.build, if any) and copies it, its seed
# corpus, its dictionary and its libFuzzer options (TARGET.options: -max_len)
# into $OUT. Runs inside the
# base-builder-rust image (batch and code-change modes alike), and anywhere
# else with SRC and OUT set (SANITIZER defaults to none off the image).
set -euo pipefail
: "${SRC:?SRC must point at the folder holding the indiv checkout}"
: "${OUT:?OUT must point at the folder for the fuzzer binaries}"
project="$SRC/indiv"
sanitizer="${SANITIZER:-none}"
case "$sanitizer" in
  address|memory|undefined|thread|leak|none) ;;
  coverage) sanitizer=none ;;
  *) sanitizer=none ;;
esac
cd "$project/fuzz"
# Off the image there may be no nightly: stable with RUSTC_BOOTSTRAP builds too.
if ! rustc --version | grep -q nightly; then export RUSTC_BOOTSTRAP=1; fi
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$project/fuzz/target}"
for target in $(cargo fuzz list); do
  # The target's cargo-fuzz build flags (options/TARGET.build, which
  # fuzz/nightly.sh reads too), built into a target directory of their own.
  flags=()
  dir="$CARGO_TARGET_DIR"
  if [ -f "options/$target.build" ]; then
    read -r -a flags <"options/$target.build"
    dir="$CARGO_TARGET_DIR/variant$(printf '%s' "${flags[*]}" | tr -c 'a-z0-9' '-')"
  fi
  cargo fuzz build -O -s "$sanitizer" "${flags[@]}" --target-dir "$dir" "$target"
  cp "$dir/x86_64-unknown-linux-gnu/release/$target" "$OUT/$target"
  if [ -d "seeds/$target" ]; then
    (cd "seeds/$target" && python3 -m zipfile -c "$OUT/${target}_seed_corpus.zip" ./*)
  fi
  if [ -f "dicts/$target.dict" ]; then
    cp "dicts/$target.dict" "$OUT/$target.dict"
  fi
  if [ -f "options/$target.options" ]; then
    cp "options/$target.options" "$OUT/$target.options"
  fi
done
