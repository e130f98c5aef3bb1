#!/usr/bin/env bash
# The local demo (npm run demo): installs what is missing, then scripts/demo.ts brings up the
# local environment with its real nodes, installs the chart and shows a MigrationPolicy
# moving a CPU-bound container from real-edge to real-cloud by checkpoint/restore. Leaves nothing
# running; Ctrl-C too.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/provision.sh
exec node_modules/.bin/tsx scripts/demo.ts "$@"
