#!/usr/bin/env bash
# The demo: a local Airflow with the example DAGs, one run of the scikit-learn pipeline
# triggered through the REST API with a parameter, and where to look afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== 1/3 Python environment (.venv) =="
scripts/bootstrap.sh

home=${MLPIPELINES_DEMO_HOME:-.airflow}
echo "== 2/3 Starting a local Airflow in $home (about 30-60 s) =="
.venv/bin/mlpipelines airflow up --home "$home" --dags dags ${MLPIPELINES_DEMO_PORT:+--port "$MLPIPELINES_DEMO_PORT"}
echo "== 3/3 Running the scikit-learn example (1-3 minutes; its steps are listed as they go) =="
.venv/bin/mlpipelines trigger sklearn_compare_models --config "$home/config.json" \
    --param n_estimators=200 --param C=0.5 --wait
echo
echo "Outputs and artifacts: $home/mlpipelines/workspaceblobstore/"
echo "In the UI: each step's Outputs and Artifacts links, its task docs, and the Assets page"
echo "(what each step read and wrote). User admin; the password is in $home/config.json."
echo "Airflow keeps running. Stop it with: .venv/bin/mlpipelines airflow down --home $home"
