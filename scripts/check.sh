#!/usr/bin/env bash
# The whole test suite, as CI runs it: system packages, npm packages, PostgreSQL, then the type
# gate, lint and every test. Works on a fresh Debian 12 machine as root.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/system-deps.sh
bash scripts/npm-deps.sh
TRICIRCLE_TEST_POSTGRES_URL="$(bash scripts/postgres.sh | tail -n 1)"
export TRICIRCLE_TEST_POSTGRES_URL

echo "check: typecheck" >&2
npm run --silent typecheck
echo "check: lint" >&2
npm run --silent lint
echo "check: tests" >&2
npm test
