#!/usr/bin/env bash
# The main job: the whole multi-region cloud on this machine on its embedded default (SQLite
# state in ${TRICIRCLE_HOME:-.tricircle}, one Docker engine per lab host). Installs the Debian and
# npm packages it needs (saying so), then runs `tricircle up` in the foreground: Ctrl-C stops
# everything. Arguments go to `tricircle up` (e.g. --detach, --hosts-per-region 2).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-deps.sh
bash scripts/npm-deps.sh
exec ./cli/bin/tricircle up "$@"
