"""What a running step knows of its task, without Airflow types: ids, params, XCom access."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mlpipelines._naming import path_safe


@dataclass
class StepContext:
    """The task a step runs in. ``pull_output(producer_task_id, output_name)`` returns the
    reference that producer pushed, or None."""

    dag_id: str
    run_id: str
    task_id: str
    params: dict[str, Any]
    pull_output: Callable[[str, str], dict[str, Any] | None]
    try_number: int = 1
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("mlpipelines.step"))

    @property
    def run_folder(self) -> str:
        """``<dag_id>/<run_id>``, the run's folder on a datastore (run id made path-safe)."""
        return f"{self.dag_id}/{path_safe(self.run_id)}"

    @property
    def step_run_id(self) -> str:
        return f"{self.dag_id}/{self.run_id}/{self.task_id}"

    @property
    def parent_run_id(self) -> str:
        return f"{self.dag_id}/{self.run_id}"


OUTPUT_XCOM_PREFIX = "output_"
METRICS_XCOM_KEY = "metrics"
REUSE_XCOM_KEY = "reuse"


def output_xcom_key(output_name: str) -> str:
    """The XCom key under which a step pushes the reference to one of its outputs."""
    return OUTPUT_XCOM_PREFIX + output_name


def reused_output(reuse: dict[str, Any] | None, producer: str, name: str) -> dict[str, Any] | None:
    """An output of a step the reuse sensor skipped, from the sensor's ``reuse`` XCom."""
    return ((reuse or {}).get("reused", {}).get(producer) or {}).get("outputs", {}).get(name)
