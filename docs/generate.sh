#!/usr/bin/env bash
# Regenerates every generated document under docs/ from the spec file and the
# rule fixtures: SPEC.md, the diagrams (DOT, and SVG when Graphviz's `dot` is
# installed: `apt-get install graphviz`), and the JSON Schemas. The tests fail
# when a committed file differs from what the generator writes (SVGs excepted).
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
echo "docs/ regenerated"
