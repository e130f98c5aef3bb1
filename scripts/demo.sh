#!/usr/bin/env bash
# The local demo (npm run demo): installs what is missing, then scripts/demo.ts brings up the
# local environment, installs the chart and shows a MigrationPolicy moving a CPU-bound pod from
# an edge node to the cloud node by checkpoint/restore. Leaves nothing running; Ctrl-C too.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/provision.sh
exec node_modules/.bin/tsx scripts/demo.ts "$@"
