#!/usr/bin/env bash
# Create .venv and install mlpipelines with its dev and example extras; a no-op when
# pyproject.toml and constraints.txt are unchanged since the last install.
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$python" -c 'import sys; assert sys.version_info >= (3, 10), "mlpipelines needs Python >= 3.10"'
    "$python" -m venv .venv
fi
stamp=.venv/.mlpipelines-installed
want=$(cat pyproject.toml constraints.txt | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "Installing mlpipelines and Airflow into .venv (about a minute) ..."
    .venv/bin/python -m pip install -q -U pip 2>&1 | grep -v "^WARNING: Location" || true
    # constraints.txt pins two packages pip otherwise backtracks over for minutes.
    .venv/bin/python -m pip install -q -c constraints.txt -e ".[dev,examples]" 2>&1 \
        | grep -v "^WARNING: Location" || true
    .venv/bin/python -c "import mlpipelines, airflow, sklearn" 
    echo "$want" > "$stamp"
fi
