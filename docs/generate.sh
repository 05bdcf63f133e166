#!/usr/bin/env bash
# Regenerates every generated document under docs/ from the spec file and the
# rule fixtures: SPEC.md, the diagrams (DOT, and SVG when Graphviz's `dot` is
# installed: `apt-get install graphviz`), and the JSON Schemas; and, when
# Chromium is installed (`apt-get install chromium`), report-failing-case.png:
# the report.html of the Python engine certified with one deliberate bug. The
# tests fail when a committed file differs from what the generator writes (SVGs
# and the screenshot excepted).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet --bin indiv
indiv() { cargo run --quiet --bin indiv -- "$@"; }
indiv spec --format markdown > docs/SPEC.md
mkdir -p docs/diagrams docs/schema
for diagram in phases http; do
  indiv spec --format dot --diagram "$diagram" > "docs/diagrams/$diagram.dot"
  if command -v dot >/dev/null; then
    dot -Tsvg "docs/diagrams/$diagram.dot" -o "docs/diagrams/$diagram.svg"
  else
    echo "graphviz (dot) is not installed: docs/diagrams/$diagram.svg not rendered" >&2
  fi
done
indiv schema trace > docs/schema/indiv-trace-1.schema.json
indiv schema testee > docs/schema/indiv-testee-1.schema.json
indiv schema case > docs/schema/indiv-case-1.schema.json
chromium=${INDIV_CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
if [ -n "$chromium" ]; then
  report=$(mktemp -d)
  indiv certify --jobs 1 --case reader-happy --report "$report" \
    -- python3 examples/python-engine/engine.py --bug progress-past-total >/dev/null || true
  "$chromium" --headless --disable-gpu --no-sandbox --no-first-run --disable-background-networking \
    --disable-component-update --disable-sync --disable-quic --user-data-dir="$report/profile" \
    --hide-scrollbars --window-size=1200,1180 --screenshot="$PWD/docs/report-failing-case.png" \
    "file://$report/report.html" 2>/dev/null
  rm -rf "$report"
else
  echo "chromium is not installed: docs/report-failing-case.png not taken" >&2
fi
echo "docs/ regenerated"
