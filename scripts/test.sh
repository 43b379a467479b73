#!/usr/bin/env bash
# The whole test suite: quick checks, then the SQLite leg, then the PostgreSQL leg.
# In CI (CI=true) the PostgreSQL and browser legs are mandatory; elsewhere the
# PostgreSQL leg runs when WUYI_TEST_DATABASE_URL is set and is reported skipped otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
export WUYI_DATA_DIR="${WUYI_TEST_DATA_DIR:-$(mktemp -d)}"

echo "== ruff"
$BIN/ruff check src tests
$BIN/ruff format --check src tests
echo "== migrations are up to date"
DATABASE_URL="sqlite:///$WUYI_DATA_DIR/check.sqlite3" $BIN/wuyi makemigrations --check --dry-run

PYTEST_ARGS=(-n 2 --dist loadfile -q "$@")

echo "== SQLite leg"
DATABASE_URL="sqlite:///$WUYI_DATA_DIR/test.sqlite3" $BIN/pytest "${PYTEST_ARGS[@]}"

pg_url="${WUYI_TEST_DATABASE_URL:-}"
if [ -z "$pg_url" ] && [ "${CI:-}" = "true" ]; then
  pg_url="postgres://postgres@127.0.0.1:5432/wuyi"
fi
if [ -n "$pg_url" ]; then
  echo "== PostgreSQL leg ($pg_url)"
  DATABASE_URL="$pg_url" $BIN/pytest "${PYTEST_ARGS[@]}"
else
  echo "== PostgreSQL leg: skipped (set WUYI_TEST_DATABASE_URL=postgres://... to run it)"
fi
