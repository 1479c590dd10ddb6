#!/usr/bin/env bash
# The demo: a local Airflow with the example DAGs, one run of the scikit-learn pipeline
# triggered through the REST API with a parameter, and where to look afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh

home=${MLPIPELINES_DEMO_HOME:-.airflow}
.venv/bin/mlpipelines airflow up --home "$home" --dags dags ${MLPIPELINES_DEMO_PORT:+--port "$MLPIPELINES_DEMO_PORT"}
.venv/bin/mlpipelines trigger sklearn_compare_models --config "$home/config.json" \
    --param n_estimators=200 --param C=0.5 --wait
echo
echo "Outputs and artifacts: $home/mlpipelines/workspaceblobstore/"
echo "Airflow keeps running. Stop it with: .venv/bin/mlpipelines airflow down --home $home"
