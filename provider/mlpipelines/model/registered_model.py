"""``Model``: the old SDK's model registry, kept as numbered, immutable versions on the
workspace's default datastore (``storage.registered_models`` stores them).

Part of the Azure-ML-named facade; it also runs in step scripts (``Run.register_model``), so
it imports nothing of Airflow.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from mlpipelines.errors import UserErrorException, WebserviceException
from mlpipelines.model.azure_only import MODEL_DEPLOYMENT
from mlpipelines.storage.registered_models import (
    ModelVersion,
    download_model,
    list_models,
    read_model,
    register_model,
)


def model_store(workspace: Any) -> Any:
    """The datastore that holds the workspace's models: its default datastore."""
    from mlpipelines.storage.versioned_records import default_store

    return default_store(workspace)


class ModelFramework:
    """The old SDK's ``Model.Framework`` names (``model_framework=Model.Framework.SCIKITLEARN``
    in ``Model.register``): accepted, as AML used them only for its no-code deployments."""

    CUSTOM = "Custom"
    MULTI = "Multi"
    ONNX = "Onnx"
    PYTORCH = "Pytorch"
    SCIKITLEARN = "ScikitLearn"
    TENSORFLOW = "TensorFlow"


class ResourceConfiguration:
    """``ResourceConfiguration(cpu=, memory_in_gb=, gpu=)`` for ``Model.register``: kept as
    given (it sized AML's no-code deployments, which do not exist here)."""

    def __init__(
        self, cpu: float | None = None, memory_in_gb: float | None = None, gpu: int | None = None
    ) -> None:
        self.cpu = cpu
        self.memory_in_gb = memory_in_gb
        self.gpu = gpu

    def serialize(self) -> dict[str, Any]:
        return {"cpu": self.cpu, "memoryInGB": self.memory_in_gb, "gpu": self.gpu}


class Model:
    """A registered model version: ``Model(ws, name, version=None)`` (None: the latest) or
    ``Model(ws, id="name:version")``; ``Model.register`` adds versions."""

    Framework = ModelFramework

    def __init__(
        self,
        workspace: Any,
        name: str | None = None,
        id: str | None = None,
        tags: Any = None,
        properties: Any = None,
        version: int | str | None = None,
        run_id: str | None = None,
        **_: Any,
    ) -> None:
        if name is None and id is None:
            raise UserErrorException("Model(workspace, ...) needs a name or an id")
        if id is not None:
            name, _sep, from_id = str(id).partition(":")
            version = from_id or version
        try:
            record = read_model(model_store(workspace), str(name), version)
        except UserErrorException as exc:
            raise WebserviceException(str(exc)) from None
        self._init_from(workspace, record)

    @classmethod
    def _of(cls, workspace: Any, record: ModelVersion) -> Model:
        model = cls.__new__(cls)
        model._init_from(workspace, record)
        return model

    def _init_from(self, workspace: Any, record: ModelVersion) -> None:
        self.workspace = workspace
        self._record = record
        self.name = record.name
        self.version = record.version
        self.id = record.id
        self.tags = dict(record.tags)
        self.properties = dict(record.properties)
        self.description = record.description
        self.run_id = record.run_id
        self.created_time = record.created_time
        self.model_framework: str | None = None

    @property
    def url(self) -> str:
        """Where the model's file or folder is: its datastore URI."""
        return str(model_store(self.workspace).uri(self._record.path))

    @staticmethod
    def register(
        workspace: Any,
        model_path: str | os.PathLike[str],
        model_name: str,
        tags: dict[str, Any] | None = None,
        properties: dict[str, Any] | None = None,
        description: str | None = None,
        **_: Any,
    ) -> Model:
        """Copy a local file or folder to the default datastore as the next version of
        ``model_name`` (1, 2, ...). Framework, datasets and resource arguments are accepted
        and not kept."""
        record = register_model(
            model_store(workspace), model_name, model_path, description, tags, properties
        )
        return Model._of(workspace, record)

    @staticmethod
    def list(
        workspace: Any,
        name: str | None = None,
        tags: Any = None,
        properties: Any = None,
        run_id: str | None = None,
        latest: bool = False,
        **_: Any,
    ) -> list[Model]:
        """Registered versions, newest first: all, of ``name``, carrying ``tags`` (names, or
        [name, value] pairs), from ``run_id``; ``latest`` keeps one per name."""
        records = list_models(model_store(workspace), name)
        records = [r for r in records if _matches(r, tags, properties, run_id)]
        records.sort(key=lambda r: (r.name, -r.version))
        if latest:
            records = [r for i, r in enumerate(records) if i == 0 or records[i - 1].name != r.name]
        return [Model._of(workspace, r) for r in records]

    @staticmethod
    def deploy(workspace: Any, name: str, models: Any = None, *args: Any, **kwargs: Any) -> Any:
        """Refused: Azure ML's web services do not run on Airflow (see azure_only)."""
        MODEL_DEPLOYMENT.refuse(f"Model.deploy('{name}')")

    @staticmethod
    def package(workspace: Any, models: Any = None, *args: Any, **kwargs: Any) -> Any:
        """Refused: Azure ML's model packages are images for its web services."""
        MODEL_DEPLOYMENT.refuse("Model.package")

    @staticmethod
    def get_model_path(model_name: str, version: int | None = None, _workspace: Any = None) -> str:
        """The local path of a model downloaded into ``./azureml-models/<name>/<version>``."""
        from mlpipelines.storage.deployment import Deployment

        # The deployment this process runs in (a step's, in a scoring script): its datastores
        # are all a model lookup needs.
        model = Model(_workspace or Deployment.current(), model_name, version=version)
        target = Path("azureml-models") / model.name / str(model.version)
        return str(model.download(target, exist_ok=True))

    def download(
        self,
        target_dir: str | os.PathLike[str] = ".",
        exist_ok: bool = False,
        exists_ok: bool | None = None,
    ) -> str:
        """Copy the model's file or folder into ``target_dir``; the local path of the copy."""
        ok = exist_ok if exists_ok is None else exists_ok
        store = model_store(self.workspace)
        return str(download_model(store, self._record, Path(target_dir), ok))

    def serialize(self) -> dict[str, Any]:
        return {**self._record.to_json(), "url": self.url}

    def __repr__(self) -> str:
        return f"Model(name={self.name!r}, version={self.version}, id={self.id!r})"


def _matches(record: ModelVersion, tags: Any, properties: Any, run_id: str | None) -> bool:
    if run_id is not None and record.run_id != run_id:
        return False
    return _has(record.tags, tags) and _has(record.properties, properties)


def _has(values: dict[str, str], wanted: Any) -> bool:
    for item in wanted or []:
        if isinstance(item, (list, tuple)):
            key, value = item[0], item[1] if len(item) > 1 else None
            if key not in values or (value is not None and values[key] != str(value)):
                return False
        elif item not in values:
            return False
    return True
