"""Airflow DAG `twin_five`: the five-step pipeline of the cluster tests written by hand, as a
team without mlpipelines would on workers that share no disk: one BashOperator per step,
each downloading its inputs from the Azure Blob container, running the same script and
uploading its output (``twin_step.py``). The baseline of ``benchmarks/cluster_runs.py``."""

from __future__ import annotations

import sys
from pathlib import Path

from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG, Param

HERE = Path(__file__).resolve().parent
STEP = f"{sys.executable} {HERE / 'twin_step.py'}"
RUN = "--run '{{ run_id }}' --seed '{{ params.seed }}'"

with DAG("twin_five", schedule=None, params={"seed": Param(1, type="integer")}) as dag:
    make, square, shift, join, total = (
        BashOperator(task_id=name, bash_command=f"{STEP} {name} {RUN}")
        for name in ("make", "square", "shift", "join", "total")
    )
    make >> [square, shift] >> join >> total
