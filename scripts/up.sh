#!/usr/bin/env bash
# The main job: bootstrap and run Tricircle on its embedded default (SQLite state in
# ${TRICIRCLE_HOME:-.tricircle}). For now that is the identity service on http://127.0.0.1:5000;
# `source .tricircle/openrc` then lets the openstack CLI use it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/npm-deps.sh
./cli/bin/tricircle identity bootstrap "$@"
exec ./cli/bin/tricircle serve identity
