#!/usr/bin/env bash
# Run Optuna's own test suite against podbor and guard its public pass rate.
#
# The runner (optuna-peer-tests) ships with the team's shared notes beside the checkout, not with
# podbor: when it is not there this script says so and exits 0, since nothing in podbor needs it.
# When it is there, it downloads Optuna's source distribution (cached), runs Optuna's tests with
# `import optuna` pointing at podbor, prints the table, and fails (exit 1) when the public pass
# rate falls below PEER_MIN_RATE (percent). Extra arguments go to the runner (e.g. --set wide).
# Exit codes: 0 at or above the guard (or no runner), 1 below it, 3 when the runner ran but gave
# no rate (e.g. the source distribution could not be downloaded).
set -euo pipefail
cd "$(dirname "$0")/.."
tool=${PEER_TESTS_TOOL:-../shared/tools/optuna-peer-tests}
min_rate=${PEER_MIN_RATE:-97}  # the public pass rate reached in session 24 (97.5 %), less a margin
if [ ! -x "$tool" ]; then
  echo "peer-tests: the runner $tool is not here (it comes with the shared notes); skipped"
  exit 0
fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$tool" --sdist auto --python "$PWD/.venv/bin/python" "$@" 2>&1 | tee "$out" || true
rate=$(sed -n 's/.*public pass rate .* = \([0-9.]*\)%.*/\1/p' "$out" | tail -1)
if [ -z "$rate" ]; then
  echo "peer-tests: the runner printed no public pass rate (see its output above)" >&2
  exit 3
fi
if awk -v r="$rate" -v m="$min_rate" 'BEGIN { exit !(r < m) }'; then
  echo "peer-tests: public pass rate ${rate}% is below the guard ${min_rate}%" >&2
  exit 1
fi
echo "peer-tests: public pass rate ${rate}% (guard: ${min_rate}%)"
