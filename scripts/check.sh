#!/usr/bin/env bash
# The whole test suite, as CI runs it: system packages, npm packages, PostgreSQL, the test Docker
# engine, then the type gate, lint and every test. Works on a fresh Debian 12 machine as root.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/system-deps.sh
bash scripts/npm-deps.sh
TRICIRCLE_TEST_POSTGRES_URL="$(bash scripts/postgres.sh | tail -n 1)"
export TRICIRCLE_TEST_POSTGRES_URL
TRICIRCLE_TEST_DOCKER_HOST="$(bash scripts/dockerd.sh start | tail -n 1)"
export TRICIRCLE_TEST_DOCKER_HOST
# In CI nothing may outlive the run; locally the engine stays up for the next one.
if [[ -n ${CI:-} ]]; then trap 'bash scripts/dockerd.sh stop' EXIT; fi

echo "check: typecheck" >&2
npm run --silent typecheck
echo "check: lint" >&2
npm run --silent lint
echo "check: tests" >&2
npm test
