"""Pipeline endpoints: one fixed REST URL in front of numbered versions ("0", "1", ...) of
published pipelines, one of them the default."""

from __future__ import annotations

import builtins
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from mlpipelines.client.pipeline_run import PipelineRun
from mlpipelines.client.published_pipeline import REST_PREFIX, PublishedPipeline, post_run_request
from mlpipelines.errors import UserErrorException
from mlpipelines.publishing.records import ACTIVE, DISABLED, RecordStore
from mlpipelines.publishing.run_request import run_request_assignments


@dataclass(frozen=True)
class PipelineIdVersion:
    """One version of an endpoint: the version string and the published pipeline's id;
    ``pipeline`` is that published pipeline."""

    pipeline_id: str
    version: str
    workspace: Any = field(default=None, compare=False, repr=False)

    @property
    def pipeline(self) -> PublishedPipeline:
        if self.workspace is None:
            raise UserErrorException("this PipelineIdVersion was made without a workspace")
        return PublishedPipeline.get(self.workspace, id=self.pipeline_id)


class PipelineEndpoint:
    """A fixed REST URL over versions of published pipelines (``publish``, ``get``, ``add``)."""

    def __init__(self, workspace: Any, record: dict[str, Any]) -> None:
        self.workspace = workspace
        self._record = record

    id = property(lambda self: self._record["id"])
    name = property(lambda self: self._record["name"])
    description = property(lambda self: self._record.get("description"))
    status = property(lambda self: self._record["status"])
    default_version = property(lambda self: self._record["default_version"])

    @property
    def endpoint(self) -> str:
        """The REST URL (``.../endpoints/Id/<id>``): a POST with an Azure ML run request runs
        the default version, or the body's ``PipelineVersion``; ``<endpoint>/<version>`` runs
        that version, and ``.../endpoints/Name?name=<name>&pipelineVersion=<v>`` (the old
        samples build it with ``endpoint.split("Id", 1)[0] + "Name?name=" + name``) too."""
        return f"{self.workspace.airflow_url}{REST_PREFIX}/endpoints/Id/{quote(self.id, safe='')}"

    # -- creating and finding -------------------------------------------------------------
    @classmethod
    def publish(
        cls, workspace: Any, name: str, description: str | None, pipeline: Any
    ) -> PipelineEndpoint:
        """A new endpoint whose version "0" (the default) is ``pipeline``; names are unique."""
        store = RecordStore.endpoints(workspace)
        if any(r["name"] == name for r in store.all()):
            raise UserErrorException(
                f"a pipeline endpoint named '{name}' exists; use PipelineEndpoint.get(ws, "
                f"name='{name}').add_default(pipeline)"
            )
        published = _as_published(workspace, pipeline, name)
        record = {
            "id": str(uuid.uuid4()),
            "name": name,
            "description": description,
            "status": ACTIVE,
            "created": time.time(),
            "versions": [{"version": "0", "pipeline_id": published.id}],
            "default_version": "0",
        }
        store.put(record)
        return cls(workspace, record)

    @classmethod
    def get(
        cls, workspace: Any, id: str | None = None, name: str | None = None
    ) -> PipelineEndpoint:
        """By id or by name."""
        if id is None and name is None:
            raise UserErrorException("PipelineEndpoint.get needs id= or name=")
        return cls(workspace, RecordStore.endpoints(workspace).find(id=id, name=name))

    @classmethod
    def list(cls, workspace: Any, active_only: bool = True) -> list[PipelineEndpoint]:
        """Endpoints, oldest first; disabled ones only with ``active_only=False``."""
        return [
            cls(workspace, r)
            for r in RecordStore.endpoints(workspace).all()
            if r["status"] == ACTIVE or not active_only
        ]

    # -- versions ---------------------------------------------------------------------------
    def add(self, pipeline: Any) -> PipelineIdVersion:
        """Add a published pipeline as the next version (an existing one keeps its version)."""
        self._reload()
        published = _as_published(self.workspace, pipeline, self.name)
        for entry in self._record["versions"]:
            if entry["pipeline_id"] == published.id:
                return PipelineIdVersion(published.id, entry["version"], self.workspace)
        version = str(max(int(e["version"]) for e in self._record["versions"]) + 1)
        self._record["versions"].append({"version": version, "pipeline_id": published.id})
        self._save()
        return PipelineIdVersion(published.id, version, self.workspace)

    def add_default(self, pipeline: Any) -> PipelineIdVersion:
        """Add a pipeline and make it the default version."""
        added = self.add(pipeline)
        self.set_default_version(added.version)
        return added

    def set_default_version(self, version: str | int) -> None:
        """Make ``version`` the one a POST without ``PipelineVersion`` runs."""
        self._reload()
        version = str(version)
        if version not in {e["version"] for e in self._record["versions"]}:
            raise UserErrorException(
                f"pipeline endpoint {self.name} has no version '{version}' "
                f"(versions: {', '.join(e['version'] for e in self._record['versions'])})"
            )
        self._record["default_version"] = version
        self._save()

    def set_default(self, pipeline: Any) -> None:
        """Make the version that holds ``pipeline`` (a PublishedPipeline) the default."""
        pipeline_id = getattr(pipeline, "id", pipeline)
        for entry in self._reload()["versions"]:
            if entry["pipeline_id"] == pipeline_id:
                self.set_default_version(entry["version"])
                return
        raise UserErrorException(
            f"published pipeline {pipeline_id} is not a version of pipeline endpoint "
            f"{self.name}; add it with add_default(pipeline)"
        )

    def set_name(self, name: str) -> None:
        """Rename the endpoint (names are unique); its id and URL stay."""
        if not isinstance(name, str) or not name.strip():
            raise UserErrorException(
                f"a pipeline endpoint name must be a non-empty string, not {name!r}"
            )
        self._reload()
        clash = [
            r
            for r in RecordStore.endpoints(self.workspace).all()
            if r["name"] == name and r["id"] != self.id
        ]
        if clash:
            raise UserErrorException(f"a pipeline endpoint named '{name}' exists already")
        self._record["name"] = name
        self._save()

    def get_default_version(self) -> str:
        return str(self._reload()["default_version"])

    def list_versions(self) -> builtins.list[PipelineIdVersion]:
        """Every version in order of addition."""
        return [
            PipelineIdVersion(e["pipeline_id"], e["version"], self.workspace)
            for e in self._reload()["versions"]
        ]

    def get_pipeline(self, version: str | int | None = None) -> PublishedPipeline:
        """The published pipeline behind ``version`` (default: the default version)."""
        wanted = self.get_default_version() if version is None else str(version)
        for entry in self.list_versions():
            if entry.version == wanted:
                return PublishedPipeline.get(self.workspace, id=entry.pipeline_id)
        raise UserErrorException(f"pipeline endpoint {self.name} has no version '{wanted}'")

    def list_pipelines(self, active_only: bool = True) -> builtins.list[PublishedPipeline]:
        """The published pipelines of every version, in version order."""
        pipelines = [
            PublishedPipeline.get(self.workspace, id=e.pipeline_id) for e in self.list_versions()
        ]
        return [p for p in pipelines if p.status == ACTIVE or not active_only]

    # The old SDK's other names for these.
    get_all_versions = list_versions
    get_all_pipelines = list_pipelines

    @classmethod
    def get_all(
        cls, workspace: Any, active_only: bool = True, **_: Any
    ) -> builtins.list[PipelineEndpoint]:
        """Every endpoint, as ``list``."""
        return cls.list(workspace, active_only)

    # -- running and state --------------------------------------------------------------------
    def _submit_as_experiment(
        self,
        experiment: Any,
        pipeline_parameters: dict[str, Any] | None = None,
        tags: dict[str, str] | None = None,
        pipeline_version: str | int | None = None,
        **_: Any,
    ) -> PipelineRun:
        """``Experiment(ws, name).submit(endpoint, pipeline_version=...)``."""
        body = {
            "ExperimentName": experiment.name,
            "ParameterAssignments": pipeline_parameters or {},
            "RunSource": "SDK",
            "PipelineVersion": None if pipeline_version is None else str(pipeline_version),
            "Tags": tags,
        }
        return post_run_request(self.workspace, self.endpoint, body)

    def submit(
        self,
        experiment_name: str,
        pipeline_parameters: dict[str, Any] | None = None,
        parent_run_id: str | None = None,
        pipeline_version: str | int | None = None,
    ) -> PipelineRun:
        """Run the default version (or ``pipeline_version``) through the endpoint's URL."""
        body = {
            "ExperimentName": experiment_name,
            **run_request_assignments(pipeline_parameters),
            "RunSource": "SDK",
            "PipelineVersion": None if pipeline_version is None else str(pipeline_version),
        }
        return post_run_request(self.workspace, self.endpoint, body)

    def disable(self) -> None:
        """Refuse runs and hide the endpoint from ``list``; its pipelines stay as they are."""
        self._set_status(DISABLED)

    def enable(self) -> None:
        """Accept runs again and show the endpoint in ``list``."""
        self._set_status(ACTIVE)

    def _set_status(self, status: str) -> None:
        self._reload()
        self._record["status"] = status
        self._save()

    def _reload(self) -> dict[str, Any]:
        self._record = RecordStore.endpoints(self.workspace).get(self.id)
        return self._record

    def _save(self) -> None:
        RecordStore.endpoints(self.workspace).put(self._record)

    def __repr__(self) -> str:
        return (
            f"PipelineEndpoint(name={self.name!r}, default_version={self.default_version!r}, "
            f"status={self.status!r})"
        )


def _as_published(workspace: Any, pipeline: Any, name: str) -> PublishedPipeline:
    """A PublishedPipeline as is; a Pipeline is published first under the endpoint's name,
    as that name's next version."""
    if isinstance(pipeline, PublishedPipeline):
        return pipeline
    if hasattr(pipeline, "publish"):
        return pipeline.publish(name)
    raise UserErrorException(
        f"expected a PublishedPipeline or a Pipeline, got {type(pipeline).__name__}"
    )
