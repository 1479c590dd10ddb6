"""A pipeline: the steps to run and the data between them (a ``StepGraph``); translates into an
Airflow DAG.

Part of the Azure-ML-named facade: ``to_dag`` and ``publish`` reach the translator and the
client (imported when called)."""

from __future__ import annotations

from typing import Any

from mlpipelines.model.graph import iter_parameters, step_upstreams
from mlpipelines.model.step_graph import StepGraph, StepSequence, iter_data


class Pipeline(StepGraph):
    """Steps and the data between them, as the old SDK's ``Pipeline``: ``to_dag`` renders it
    as an Airflow DAG, ``publish`` makes it a named, versioned DAG with a REST endpoint."""

    def to_dag(self, dag_id: str, **dag_kwargs: Any) -> Any:
        """This pipeline as an ``airflow.sdk.DAG``: one task per step."""
        from mlpipelines._collector import collection_paused
        from mlpipelines.translate.render import render_dag

        with collection_paused():
            return render_dag(self.plan(dag_id), dag_id, **dag_kwargs)

    def to_task_group(self, group_id: str, **group_kwargs: Any) -> Any:
        """This pipeline as a TaskGroup inside the DAG being defined (``with DAG(...):``)."""
        from mlpipelines._collector import collection_paused
        from mlpipelines.translate.render import render_task_group

        with collection_paused():
            return render_task_group(self.plan(group_id), group_id, **group_kwargs)

    def publish(
        self,
        name: str,
        description: str | None = None,
        version: str | None = None,
        continue_on_step_failure: bool | None = None,
    ) -> Any:
        """Publish this pipeline as a named, versioned DAG on the workspace's Airflow."""
        from mlpipelines.client.published_pipeline import PublishedPipeline

        return PublishedPipeline.publish(self, name, description, version, continue_on_step_failure)

    def __repr__(self) -> str:
        return f"Pipeline(steps={[getattr(s, 'name', s) for s in self.steps]!r})"


__all__ = ["Pipeline", "StepSequence", "iter_data", "iter_parameters", "step_upstreams"]
