"""``PipelineDraft``: a pipeline kept under a name to edit, run and publish later; its spec
(snapshots uploaded) is stored by digest, so a draft runs what it held when it was saved."""

from __future__ import annotations

import builtins
import time
import uuid
from typing import Any

from mlpipelines.client.experiment import Experiment, upload_snapshots
from mlpipelines.client.pipeline_run import PipelineRun
from mlpipelines.client.published_pipeline import PublishedPipeline
from mlpipelines.errors import UserErrorException
from mlpipelines.publishing.records import RecordStore
from mlpipelines.publishing.run_request import check_parameters
from mlpipelines.translate.spec import (
    keep_spec_by_digest,
    plan_to_spec,
    spec_by_digest,
)


class PipelineDraft:
    """A mutable pipeline: ``create``, ``get``, ``list``, ``update``, ``submit_run``,
    ``publish``, ``delete``."""

    def __init__(self, workspace: Any, record: dict[str, Any]) -> None:
        self.workspace = workspace
        self._record = record

    id = property(lambda self: self._record["id"])
    name = property(lambda self: self._record["name"])
    description = property(lambda self: self._record.get("description"))
    experiment_name = property(lambda self: self._record["experiment_name"])
    tags = property(lambda self: dict(self._record.get("tags") or {}))
    properties = property(lambda self: dict(self._record.get("properties") or {}))
    pipeline_parameters = property(lambda self: dict(self._record.get("pipeline_parameters") or {}))
    last_submitted_pipeline_run_id = property(lambda self: self._record.get("last_run_id"))

    @classmethod
    def create(
        cls,
        workspace: Any,
        pipeline: Any,
        name: str | None = None,
        description: str | None = None,
        experiment_name: str | None = None,
        pipeline_parameters: dict[str, Any] | None = None,
        continue_on_step_failure: bool | None = None,
        tags: dict[str, str] | None = None,
        properties: dict[str, str] | None = None,
        **_: Any,
    ) -> PipelineDraft:
        """A draft of ``pipeline`` (a Pipeline, or another draft) to run as ``experiment_name``."""
        experiment = experiment_name or name
        if not experiment:
            raise UserErrorException("PipelineDraft.create needs experiment_name= (or name=)")
        record = {
            "id": str(uuid.uuid4()),
            "name": name or experiment,
            "description": description,
            "experiment_name": experiment,
            "tags": dict(tags or {}),
            "properties": dict(properties or {}),
            "pipeline_parameters": {},
            "created": time.time(),
        }
        draft = cls(workspace, record)
        draft._set_pipeline(pipeline)
        draft._set_parameters(pipeline_parameters or {})
        RecordStore.drafts(workspace).put(draft._record)
        return draft

    @classmethod
    def get(cls, workspace: Any, id: str, **_: Any) -> PipelineDraft:
        return cls(workspace, RecordStore.drafts(workspace).get(id))

    @classmethod
    def list(
        cls, workspace: Any, tags: dict[str, str] | None = None
    ) -> builtins.list[PipelineDraft]:
        """Drafts, oldest first; with ``tags``, those carrying every one of them."""
        wanted = dict(tags or {})
        return [
            cls(workspace, r)
            for r in RecordStore.drafts(workspace).all()
            if all((r.get("tags") or {}).get(k) == v for k, v in wanted.items())
        ]

    def update(
        self,
        pipeline: Any = None,
        name: str | None = None,
        description: str | None = None,
        experiment_name: str | None = None,
        tags: dict[str, str] | None = None,
        pipeline_parameters: dict[str, Any] | None = None,
        continue_on_step_failure: bool | None = None,
    ) -> None:
        """Change what is given; a new ``pipeline`` replaces the one held."""
        self._record = RecordStore.drafts(self.workspace).get(self.id)
        changes = {"name": name, "description": description, "experiment_name": experiment_name}
        self._record.update({k: v for k, v in changes.items() if v is not None})
        if tags is not None:
            self._record["tags"] = dict(tags)
        if pipeline is not None:
            self._set_pipeline(pipeline)
        if pipeline_parameters is not None:
            self._set_parameters(pipeline_parameters)
        RecordStore.drafts(self.workspace).put(self._record)

    def submit_run(self, workspace: Any = None) -> PipelineRun:
        """Run the draft's pipeline as its experiment, with its parameter values."""
        ws = workspace or self.workspace
        run = Experiment(ws, self.experiment_name).submit_spec(
            self._spec(), self.pipeline_parameters, tags=self.tags or None
        )
        self._record["last_run_id"] = run.id
        RecordStore.drafts(self.workspace).put(self._record)
        return run

    def _submit_as_experiment(self, experiment: Any, **_: Any) -> PipelineRun:
        """``Experiment(ws, name).submit(draft)``: the draft's run under that experiment."""
        return experiment.submit_spec(self._spec(), self.pipeline_parameters)  # type: ignore[no-any-return]

    def publish(self) -> PublishedPipeline:
        """A published pipeline of what the draft holds now, named like the draft."""
        return PublishedPipeline.publish_spec_of(
            self.workspace,
            self.experiment_name,
            self.name,
            self.description,
            digest=self._record["spec_digest"],
        )

    def delete(self) -> None:
        """Forget the draft (runs and published pipelines made from it stay)."""
        RecordStore.drafts(self.workspace).delete(self.id)

    # -- the pipeline held --------------------------------------------------------------------
    def _set_pipeline(self, pipeline: Any) -> None:
        if isinstance(pipeline, PipelineDraft):
            spec = pipeline._spec()
        elif hasattr(pipeline, "plan"):
            spec = plan_to_spec(
                upload_snapshots(pipeline.plan(self.experiment_name), self.workspace),
                self.experiment_name,
            )
        else:
            raise UserErrorException(
                "a pipeline draft holds a Pipeline or another PipelineDraft, not "
                f"{type(pipeline).__name__}"
            )
        self._record["spec_digest"] = keep_spec_by_digest(spec, self.workspace)

    def _set_parameters(self, values: dict[str, Any]) -> None:
        self._record["pipeline_parameters"] = check_parameters(dict(values), self._spec()["params"])

    def _spec(self) -> dict[str, Any]:
        try:
            return dict(spec_by_digest(self._record["spec_digest"], self.workspace))
        except FileNotFoundError:
            raise UserErrorException(
                f"the pipeline of draft '{self.name}' is no longer kept"
            ) from None

    def __repr__(self) -> str:
        return (
            f"PipelineDraft(name={self.name!r}, experiment_name={self.experiment_name!r}, "
            f"id={self.id!r})"
        )
