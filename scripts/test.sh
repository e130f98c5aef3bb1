#!/usr/bin/env bash
# The test command (npm test): installs what is missing, type-checks, lints (ESLint and the
# import-cycle check) and checks the formatting, then runs the whole ava suite inside one test
# environment (tests/env/run.ts) and prints "N passed, N failed" as its last line. Extra
# arguments go to ava (e.g. a test file).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/provision.sh
echo "[test] type-check, lint, formatting" >&2
node_modules/.bin/tsc --noEmit
node_modules/.bin/eslint --max-warnings=0 .
node_modules/.bin/tsx scripts/import-cycles.ts
node_modules/.bin/prettier --check . >/dev/null || {
  node_modules/.bin/prettier --list-different . >&2
  echo "[test] formatting differs in the files above: npx prettier --write ." >&2
  exit 1
}
echo "[test] ava, inside a fresh test environment" >&2
bin=node_modules/.bin
# The pipeline runs in the background so that SIGTERM/SIGINT reach it (bash would wait for a
# foreground pipeline first); tests/env/run.ts then stops ava and tears the environment down.
trap 'pkill -TERM -P $$' TERM INT
"$bin/tsx" tests/env/run.ts -- "$bin/ava" --tap "$@" | "$bin/tsx" scripts/tap-summary.ts &
pipeline=$!
set +e
while :; do
  wait "$pipeline"
  status=$?
  kill -0 "$pipeline" 2>/dev/null || break # still running: wait was cut short by a signal
done
exit "$status"
