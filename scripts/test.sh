#!/usr/bin/env bash
# The tests: lint, layer contracts, types, then every test (unit, integration, end-to-end on
# a real Airflow). Extra arguments go to pytest, e.g. `scripts/test.sh -m "not e2e"`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh

.venv/bin/ruff check provider tests dags benchmarks scripts
.venv/bin/ruff format --check provider tests dags benchmarks scripts
.venv/bin/lint-imports
.venv/bin/mypy
.venv/bin/python -m pytest "$@"
