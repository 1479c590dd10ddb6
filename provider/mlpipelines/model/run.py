"""``Run.get_context()`` for scripts: the step run inside a pipeline, an offline run elsewhere.

Part of the Azure-ML-named facade; it runs in a step's script process, so it imports
nothing of Airflow."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

from mlpipelines.errors import UserErrorException
from mlpipelines.records import DatastoreSpec
from mlpipelines.records.metrics import PIPELINE_SCOPE
from mlpipelines.records.reserved import (
    ENV_EXPERIMENT,
    ENV_INPUT_DATASETS,
    ENV_METRICS_FILE,
    ENV_PARENT_RUN_ID,
    ENV_RUN_ID,
    ENV_STEP_NAME,
    PIPELINE_METRICS_KEY,
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
        *,
        _scope: str | None = None,
    ) -> None:
        self.id = run_id
        self.name = name or run_id
        self.display_name = self.name
        self.experiment = Experiment(experiment)
        self.tags: dict[str, str] = {}
        self.properties: dict[str, str] = {}
        self._metrics_file = Path(metrics_file) if metrics_file else None
        self._parent_id = parent_id
        self._scope = _scope

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
        # What a step logs on its pipeline run goes into the step's metrics file, marked as
        # the pipeline's (``run.parent.log`` in the old samples); the client gathers them.
        metrics_file = str(self._metrics_file) if self._metrics_file else None
        return Run(self._parent_id, self.experiment.name, metrics_file, _scope=PIPELINE_SCOPE)

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

    def log_table(self, name: str, value: dict[str, list[Any]], description: str = "") -> None:
        """Record a table: ``{column: [values]}``, kept as given."""
        self._record(name, "table", _columns(name, value))

    def log_confusion_matrix(self, name: str, value: Any, description: str = "") -> None:
        """Record a confusion matrix (the old SDK's JSON dict, or a JSON string of it)."""
        self._record(name, "confusion_matrix", _json_value(value))

    def log_accuracy_table(self, name: str, value: Any, description: str = "") -> None:
        self._record(name, "accuracy_table", _json_value(value))

    def log_predictions(self, name: str, value: Any, description: str = "") -> None:
        self._record(name, "predictions", _json_value(value))

    def log_residuals(self, name: str, value: Any, description: str = "") -> None:
        self._record(name, "residuals", _json_value(value))

    def log_image(
        self, name: str, path: str | None = None, plot: Any = None, description: str = ""
    ) -> None:
        """Keep an image (a file at ``path``, or a matplotlib ``plot`` saved as PNG) as the
        artifact ``images/<name>.<ext>``, and record the metric ``name`` as its URI."""
        if (path is None) == (plot is None):
            raise UserErrorException(f"log_image('{name}'): pass exactly one of path= or plot=")
        self._record(name, "image", self._keep_image(name, path, plot))

    def _keep_image(self, name: str, path: str | None, plot: Any) -> str:
        from mlpipelines.model.run_uploads import upload_step_file

        if path is not None:
            return upload_step_file(self.id, f"images/{name}{Path(path).suffix}", path)
        buffer = io.BytesIO()
        plot.savefig(buffer, format="png")
        buffer.seek(0)
        return upload_step_file(self.id, f"images/{name}.png", buffer)

    def set_tags(self, tags: dict[str, str]) -> None:
        self.tags.update(tags)

    def tag(self, key: str, value: str | None = None) -> None:
        self.tags[key] = "" if value is None else value

    def get_tags(self) -> dict[str, str]:
        """The tags set on this run object by this script."""
        return dict(self.tags)

    def add_properties(self, properties: dict[str, str]) -> None:
        self.properties.update(properties)

    def get_properties(self) -> dict[str, str]:
        """The properties added to this run object by this script."""
        return dict(self.properties)

    def get_metrics(self, name: str | None = None, **_: Any) -> dict[str, Any]:
        """The metrics logged so far on this run by this script (``run.parent.get_metrics()``:
        what it logged on the pipeline run)."""
        from mlpipelines.records.metrics import fold_metrics

        records = []
        if self._metrics_file is not None and self._metrics_file.is_file():
            lines = self._metrics_file.read_text(encoding="utf-8").splitlines()
            records = [json.loads(line) for line in lines if line.strip()]
        return _select(fold_metrics(records, self._scope), name)

    def complete(self) -> None:
        """Accepted for compatibility; the task's end marks completion."""

    def _record(self, name: str, kind: str, value: Any) -> None:
        if self._metrics_file is None:
            raise RuntimeError("this run has no metrics file")
        if name == PIPELINE_METRICS_KEY:
            raise UserErrorException(f"the metric name '{name}' is reserved by mlpipelines")
        record = {"name": name, "kind": kind, "value": value}
        if self._scope is not None:
            record["scope"] = self._scope
        with open(self._metrics_file, "a", encoding="utf-8") as sink:
            sink.write(json.dumps(record, default=str) + "\n")

    def __repr__(self) -> str:
        return f"Run(id={self.id!r}, experiment={self.experiment.name!r})"

    def upload_file(self, name: str, path_or_stream: Any, datastore_name: str | None = None) -> str:
        """Keep a local file (or an open stream's bytes) as this step's artifact ``name``, next
        to its logs on the default datastore; the artifact's URI."""
        from mlpipelines.model.run_uploads import upload_step_file

        return upload_step_file(self.id, name, path_or_stream)

    def upload_files(
        self,
        names: list[str],
        paths: list[str],
        return_artifacts: bool = False,
        timeout_seconds: int | None = None,
        datastore_name: str | None = None,
    ) -> list[str] | None:
        """``upload_file`` of each (name, path) pair."""
        if len(names) != len(paths):
            raise UserErrorException("upload_files: give as many names as paths")
        uris = [self.upload_file(n, p) for n, p in zip(names, paths, strict=True)]
        return uris if return_artifacts else None

    def upload_folder(self, name: str, path: str, datastore_name: str | None = None) -> list[str]:
        """Keep every file below the local folder ``path`` as the artifact ``name/<file>``."""
        folder = Path(path)
        if not folder.is_dir():
            raise UserErrorException(f"upload_folder '{name}': '{path}' is not a folder")
        files = sorted(p for p in folder.rglob("*") if p.is_file())
        return [self.upload_file(f"{name}/{p.relative_to(folder).as_posix()}", p) for p in files]

    def get_status(self) -> str:
        """A script asking about its own run sees it running."""
        return "Running"

    def get_details(self) -> dict[str, Any]:
        """What a script can know of its own run: its id, status and names."""
        return {
            "runId": self.id,
            "status": self.get_status(),
            "displayName": self.display_name,
            "experiment": self.experiment.name,
            "properties": dict(self.properties),
            "tags": dict(self.tags),
        }

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

    def upload_file(self, name: str, path_or_stream: Any, datastore_name: str | None = None) -> str:
        """Offline there is no step to keep files for: noted, not kept (a script run by hand
        goes on)."""
        print(f"[offline run] upload_file {name}: not kept outside a pipeline step")
        return name

    def _keep_image(self, name: str, path: str | None, plot: Any) -> str:
        """Offline there is no step to keep it for: a file stays where it is, a plot is only
        noted."""
        return str(Path(path).resolve()) if path is not None else f"(plot {name}, not kept)"

    def get_metrics(self, name: str | None = None, **_: Any) -> dict[str, Any]:
        from mlpipelines.records.metrics import fold_metrics

        return _select(fold_metrics(self._records), name)


def _columns(name: str, value: Any) -> dict[str, list[Any]]:
    """A table as ``{column: [values]}`` of JSON values, refused (naming it) otherwise."""
    if not isinstance(value, dict) or not all(isinstance(v, list | tuple) for v in value.values()):
        raise UserErrorException(f"log_table('{name}'): the value must be a dict of lists")
    return {str(k): [_plain(v) for v in column] for k, column in value.items()}


def _json_value(value: Any) -> Any:
    """A JSON string as what it holds; anything else as a plain JSON value."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return _plain(value)


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
