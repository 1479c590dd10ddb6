"""``Run.get_context()`` for scripts: the step run inside a pipeline, an offline run elsewhere."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

ENV_RUN_ID = "MLPIPELINES_RUN_ID"
ENV_PARENT_RUN_ID = "MLPIPELINES_PARENT_RUN_ID"
ENV_EXPERIMENT = "MLPIPELINES_EXPERIMENT"
ENV_STEP_NAME = "MLPIPELINES_STEP_NAME"
ENV_METRICS_FILE = "MLPIPELINES_METRICS_FILE"


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

    def __repr__(self) -> str:
        return f"Experiment(name={self.name!r})"


class Run:
    """A step run: logs metrics, knows its id and its parent pipeline run."""

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
        from mlpipelines.runtime.dataset_inputs import ENV_INPUT_DATASETS, read_input_datasets

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
        from mlpipelines.runtime.metrics import read_metrics

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


class OfflineRun(Run):
    """A run outside any pipeline: metrics are printed and kept in memory."""

    def __init__(self) -> None:
        super().__init__("OfflineRun", "offline")
        self._records: list[dict[str, Any]] = []

    def _record(self, name: str, kind: str, value: Any) -> None:
        self._records.append({"name": name, "kind": kind, "value": value})
        print(f"[offline run] {name}: {value}")

    def get_metrics(self, name: str | None = None) -> dict[str, Any]:
        from mlpipelines.runtime.metrics import fold_metrics

        return _select(fold_metrics(self._records), name)


def _select(metrics: dict[str, Any], name: str | None) -> dict[str, Any]:
    if name is None:
        return metrics
    return {name: metrics[name]} if name in metrics else {}
