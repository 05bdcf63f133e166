#!/usr/bin/env bash
# The work of the composite action in ../action.yml: runs `indiv certify` on
# the engine's command, writes the run's summary.md to the job's step summary
# and the exit status to the step's outputs, and leaves the report in the
# report directory for the next step to upload. It exits 0 whatever the
# verdict, so that the upload still runs; the action's last step fails the job.
#
# Environment (action.yml sets it from its inputs; a test sets it by hand):
#   INDIV              the indiv binary (default: indiv on the PATH)
#   INDIV_COMMAND      the engine's command line, split into words as a POSIX
#                      shell would but never expanded (no $VAR, no globs, no
#                      command substitution); empty: the built-in reference engine
#   INDIV_ARGS         more `indiv certify` options, split the same way
#   INDIV_EXPECT       an expectations file for --expect (optional)
#   INDIV_REPORT_DIR   the report directory (default: indiv-report)
#   GITHUB_OUTPUT, GITHUB_STEP_SUMMARY   files, as GitHub Actions sets them
set -uo pipefail

indiv=${INDIV:-indiv}
report=${INDIV_REPORT_DIR:-indiv-report}

# Splits $2 into words (shlex, POSIX rules) and stores them in the array
# named $1; fails on unbalanced quotes.
split_words() {
  local tmp
  tmp=$(mktemp)
  if ! python3 -c 'import shlex, sys
sys.stdout.write("".join(w + "\0" for w in shlex.split(sys.argv[1])))' "$2" >"$tmp" 2>/dev/null; then
    rm -f "$tmp"
    return 1
  fi
  mapfile -d '' -t "$1" <"$tmp"
  rm -f "$tmp"
}

# Runs certify; its exit status, or 2 when the inputs cannot be used.
certify() {
  local args=() engine=()
  if ! command -v "$indiv" >/dev/null; then
    echo "::error title=indiv certify::indiv not found: '$indiv' is not a program on the PATH"
    return 2
  fi
  if ! split_words args "${INDIV_ARGS:-}"; then
    echo "::error title=indiv certify::the args input is not a list of shell words (unbalanced quotes?)"
    return 2
  fi
  if ! split_words engine "${INDIV_COMMAND:-}"; then
    echo "::error title=indiv certify::the command input is not a list of shell words (unbalanced quotes?)"
    return 2
  fi
  if [ -n "${INDIV_EXPECT:-}" ]; then
    args+=(--expect "$INDIV_EXPECT")
  fi
  if [ ${#engine[@]} -gt 0 ]; then
    engine=(-- "${engine[@]}")
  fi
  "$indiv" certify --report "$report" --annotations github "${args[@]}" "${engine[@]}"
}

# A summary left by an earlier run must not stand for this one.
rm -f "$report/summary.md"
certify
status=$?

if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  if [ -f "$report/summary.md" ]; then
    cat "$report/summary.md" >>"$GITHUB_STEP_SUMMARY"
  else
    printf '## indiv certify\n\nNo summary: the run stopped before writing its report (exit status %s).\n' "$status" >>"$GITHUB_STEP_SUMMARY"
  fi
fi
if [ -n "${GITHUB_OUTPUT:-}" ]; then
  {
    echo "exit-status=$status"
    echo "report-dir=$report"
  } >>"$GITHUB_OUTPUT"
fi
echo "indiv certify exited with status $status"
exit 0
