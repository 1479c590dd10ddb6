"""``Experiment``: a named group of pipeline runs (a DAG, on Airflow)."""

from __future__ import annotations

from typing import Any


class Experiment:
    """``Experiment(ws, name)``. Submitting from a client arrives with the REST client; until
    then trigger the DAG a pipeline translates to (``mlpipelines trigger DAG_ID``)."""

    def __init__(self, workspace: Any, name: str) -> None:
        self.workspace = workspace
        self.name = name

    def submit(self, config: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            "Experiment.submit is not available yet: put the pipeline's DAG file in the Airflow "
            "dags folder and run `mlpipelines trigger <dag_id>`"
        )

    def __repr__(self) -> str:
        return f"Experiment(name={self.name!r})"
