"""``Run.get_context()`` for scripts: the step run inside a pipeline, an offline run elsewhere.

Part of the Azure-ML-named facade; it runs in a step's script process, so it imports
nothing of Airflow."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from mlpipelines.records import DatastoreSpec
from mlpipelines.records.reserved import (
    ENV_EXPERIMENT,
    ENV_INPUT_DATASETS,
    ENV_METRICS_FILE,
    ENV_PARENT_RUN_ID,
    ENV_RUN_ID,
    ENV_STEP_NAME,
)


def _plain(value: Any) -> Any:
    """A JSON-able value: numpy scalars and arrays become Python numbers and lists."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "item"):
        return value.item()
    return value


class Experiment:
    """The experiment a run belongs to (the DAG, on Airflow)."""

    def __init__(self, name: str) -> None:
        self.name = name

    @property
    def workspace(self) -> Any:
        """The workspace the run belongs to (``run.experiment.workspace`` in old scripts);
        in a step's script its datastores are the ones the task handed over."""
        from mlpipelines.model.workspace import Workspace

        return Workspace.current()

    def __repr__(self) -> str:
        return f"Experiment(name={self.name!r})"


class Run:
    """A step run: logs metrics, knows its id and its parent pipeline run.

    ``Run(experiment, run_id)`` with a client ``Experiment`` gives that run's ``PipelineRun``
    (the old SDK's way to look a run up by id)."""

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        experiment = args[0] if args else kwargs.get("experiment")
        if hasattr(experiment, "workspace"):
            from mlpipelines.client.pipeline_run import PipelineRun

            run_id = args[1] if len(args) > 1 else kwargs["run_id"]
            return PipelineRun(experiment, run_id)
        return super().__new__(cls)

    def __init__(
        self,
        run_id: str,
        experiment: str,
        metrics_file: str | None = None,
        parent_id: str | None = None,
        name: str | None = None,
    ) -> None:
        self.id = run_id
        self.name = name or run_id
        self.experiment = Experiment(experiment)
        self.tags: dict[str, str] = {}
        self._metrics_file = Path(metrics_file) if metrics_file else None
        self._parent_id = parent_id

    @classmethod
    def get_context(cls, allow_offline: bool = True, **_: Any) -> Run:
        """The run this script belongs to; outside a pipeline an offline run that prints."""
        run_id = os.environ.get(ENV_RUN_ID)
        if run_id:
            return cls(
                run_id,
                os.environ.get(ENV_EXPERIMENT, ""),
                os.environ.get(ENV_METRICS_FILE),
                os.environ.get(ENV_PARENT_RUN_ID),
                os.environ.get(ENV_STEP_NAME),
            )
        if not allow_offline:
            raise RuntimeError("not running inside an mlpipelines step and allow_offline=False")
        return OfflineRun()

    @property
    def parent(self) -> Run | None:
        """The pipeline run this step belongs to (None for a pipeline run itself)."""
        if not self._parent_id:
            return None
        return Run(self._parent_id, self.experiment.name)

    @property
    def input_datasets(self) -> dict[str, Any]:
        """The step's named dataset inputs: a TabularDataset/FileDataset (direct mode) or the
        local folder of a File dataset used ``as_download()``/``as_mount()``."""
        return read_input_datasets(os.environ.get(ENV_INPUT_DATASETS))

    def log(self, name: str, value: Any, description: str = "") -> None:
        """Record a metric value; a name logged again becomes a list of values."""
        self._record(name, "scalar", _plain(value))

    def log_list(self, name: str, value: list[Any], description: str = "") -> None:
        self._record(name, "list", [_plain(v) for v in value])

    def log_row(self, name: str, description: str | None = None, **kwargs: Any) -> None:
        self._record(name, "row", {k: _plain(v) for k, v in kwargs.items()})

    def set_tags(self, tags: dict[str, str]) -> None:
        self.tags.update(tags)

    def tag(self, key: str, value: str | None = None) -> None:
        self.tags[key] = "" if value is None else value

    def get_metrics(self, name: str | None = None) -> dict[str, Any]:
        """The metrics logged so far by this run."""
        from mlpipelines.records.metrics import read_metrics

        return _select(read_metrics(self._metrics_file) if self._metrics_file else {}, name)

    def complete(self) -> None:
        """Accepted for compatibility; the task's end marks completion."""

    def _record(self, name: str, kind: str, value: Any) -> None:
        if self._metrics_file is None:
            raise RuntimeError("this run has no metrics file")
        line = json.dumps({"name": name, "kind": kind, "value": value}, default=str)
        with open(self._metrics_file, "a", encoding="utf-8") as sink:
            sink.write(line + "\n")

    def __repr__(self) -> str:
        return f"Run(id={self.id!r}, experiment={self.experiment.name!r})"

    def upload_file(self, name: str, path_or_stream: Any, datastore_name: str | None = None) -> str:
        """Keep a local file (or an open stream's bytes) as this step's artifact ``name``, next
        to its logs on the default datastore; the artifact's URI."""
        from mlpipelines.model.run_uploads import upload_step_file

        return upload_step_file(self.id, name, path_or_stream)

    def register_model(self, model_name: str, model_path: str | None = None, **details: Any) -> Any:
        """Register the step's file or folder ``model_path`` (relative to the script's working
        folder, e.g. "outputs/model.pkl") as the next version of ``model_name``: a ``Model``.
        ``tags``, ``properties`` and ``description`` are kept; other arguments are accepted."""
        from mlpipelines.model.run_uploads import register_step_model

        return register_step_model(self.id, model_name, model_path or model_name, **details)

    def get_secret(self, name: str) -> str:
        """The workspace secret ``name`` (set with ``ws.get_default_keyvault().set_secret``),
        asked of the task running this script; never written anywhere by mlpipelines."""
        return self.get_secrets([name])[name]

    def get_secrets(self, secrets: list[str]) -> dict[str, str]:
        """The workspace secrets named ``secrets``, by name (one request)."""
        from mlpipelines.storage.secret_socket import request_secrets

        return request_secrets(list(secrets))


class OfflineRun(Run):
    """A run outside any pipeline: metrics are printed and kept in memory."""

    def __init__(self) -> None:
        super().__init__("OfflineRun", "offline")
        self._records: list[dict[str, Any]] = []

    def _record(self, name: str, kind: str, value: Any) -> None:
        self._records.append({"name": name, "kind": kind, "value": value})
        print(f"[offline run] {name}: {value}")

    def get_metrics(self, name: str | None = None) -> dict[str, Any]:
        from mlpipelines.records.metrics import fold_metrics

        return _select(fold_metrics(self._records), name)


def _select(metrics: dict[str, Any], name: str | None) -> dict[str, Any]:
    if name is None:
        return metrics
    return {name: metrics[name]} if name in metrics else {}


def read_input_datasets(path: str | None) -> dict[str, Any]:
    """Named inputs by name: a TabularDataset/FileDataset (direct) or a local folder path."""
    if not path:
        return {}
    from mlpipelines.model.dataset import Dataset
    from mlpipelines.model.workspace import Workspace

    def workspace(stores: dict[str, Any] | None) -> Workspace:
        known = {n: DatastoreSpec.from_json(spec) for n, spec in (stores or {}).items()}
        return Workspace.current_knowing(known)

    records = json.loads(Path(path).read_text(encoding="utf-8"))
    return {
        name: (
            Dataset.from_dict(r["dataset"], workspace(r.get("stores")))
            if r["mode"] == "direct"
            else r["path"]
        )
        for name, r in records.items()
    }
