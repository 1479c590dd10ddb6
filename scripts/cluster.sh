#!/usr/bin/env bash
# A distributed Airflow on this machine (Postgres, Redis, Azurite, API server, scheduler,
# DAG processor, triggerer, two Celery workers), for tests and trials:
#   scripts/cluster.sh up DIR | down DIR | dags DIR SRC...
# The logic is in scripts/cluster.py; docs/deployment.md describes the topology.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
if [ "${1:-}" = "up" ]; then
    "$repo/scripts/bootstrap.sh"
fi
exec "$repo/.venv/bin/python" "$repo/scripts/cluster.py" "$@"
