#!/usr/bin/env bash
# The test command (npm test): installs what is missing, type-checks and lints, then runs the
# whole ava suite inside one test environment (tests/env/run.ts) and prints
# "N passed, N failed" as its last line. Extra arguments go to ava (e.g. a test file).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/provision.sh
echo "[test] type-check and lint" >&2
npx tsc --noEmit
npx eslint --max-warnings=0 .
echo "[test] ava, inside a fresh test environment" >&2
set +e
npx tsx tests/env/run.ts -- npx ava --tap "$@" | npx tsx scripts/tap-summary.ts
status=("${PIPESTATUS[@]}")
set -e
[ "${status[0]}" -eq 0 ] && [ "${status[1]}" -eq 0 ]
