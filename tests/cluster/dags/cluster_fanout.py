"""Airflow DAG `cluster_fanout`: six parallel Bash tasks, enough to land on both workers."""

from __future__ import annotations

from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG

with DAG("cluster_fanout", schedule=None, tags=["cluster"]) as dag:
    for number in range(6):
        BashOperator(
            task_id=f"echo_{number}",
            # The sleep keeps each slot busy long enough for the other worker to take a task.
            bash_command=f'echo "task {number} on $(hostname) home $AIRFLOW_HOME"; sleep 3',
        )
