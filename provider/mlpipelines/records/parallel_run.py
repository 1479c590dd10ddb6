"""A ParallelRunStep's settings, its mini-batch size, and the ids of the tasks it renders as.

The model validates and plans these; the translator, the operators, the runners and the
reuse sensor read them, so the names of the step's three tasks have this one home.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

PARALLEL_RUN_KIND = "parallel_run"
OUTPUT_ACTIONS = ("append_row", "summary_only")
DEFAULT_APPEND_ROW_FILE = "parallel_run_step.txt"

# The step's tasks: ``<id>__plan`` >> ``<id>__run`` (mapped) >> ``<id>`` (gather), in a
# TaskGroup ``<id>__parallel_run``; the gather task keeps the step's own id, so its XCom
# outputs, reuse records and step runs look like any step's.
PLAN_SUFFIX = "__plan"
RUN_SUFFIX = "__run"
GROUP_SUFFIX = "__parallel_run"
BATCHES_XCOM_KEY = "mini_batches"
INPUT_FINGERPRINT_XCOM_KEY = "mini_batch_input_fingerprint"

_SIZE = re.compile(r"^\s*(\d+)\s*([KMG]B)?\s*$", re.IGNORECASE)
_UNITS = {"KB": 1024, "MB": 1024**2, "GB": 1024**3}


@dataclass(frozen=True)
class MiniBatchSize:
    """A mini-batch's size: a count (files of a FileDataset, rows of a TabularDataset) or,
    for a size like ``"1MB"``, bytes (of files, or of rows read)."""

    count: int | None = None
    bytes: int | None = None

    def describe(self) -> str:
        return f"{self.count} items" if self.count is not None else f"{self.bytes} bytes"


def parse_mini_batch_size(value: Any) -> MiniBatchSize:
    """``10``, ``"10"`` (a count) or ``"1MB"``, ``"512KB"``, ``"1GB"`` (bytes); anything else,
    or zero, is a ValueError saying which forms work."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError(f"mini_batch_size {value!r} must be a count or a size like '1MB'")
    match = _SIZE.match(str(value))
    if match is None or int(match.group(1)) <= 0:
        raise ValueError(
            f"mini_batch_size {value!r} must be a positive count (e.g. 10) or a size "
            "like '512KB', '1MB', '1GB'"
        )
    number, unit = int(match.group(1)), match.group(2)
    if unit is None:
        return MiniBatchSize(count=number)
    return MiniBatchSize(bytes=number * _UNITS[unit.upper()])


@dataclass
class ParallelRunSettings:
    """What a ParallelRunConfig says, as planned: how the input is split, how many worker
    processes run it, how failures count, and what the output holds."""

    mini_batch_input: str
    mini_batch_size: str
    error_threshold: int = -1
    output_action: str = "append_row"
    append_row_file_name: str = DEFAULT_APPEND_ROW_FILE
    process_count_per_node: int = 1
    node_count: int = 1
    run_invocation_timeout: int = 60

    @property
    def size(self) -> MiniBatchSize:
        return parse_mini_batch_size(self.mini_batch_size)

    def tolerates(self, failed: int) -> bool:
        """Whether ``failed`` items are within the error threshold (-1: any number)."""
        return self.error_threshold < 0 or failed <= self.error_threshold

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ParallelRunSettings:
        return cls(**data)


def plan_task_id(task_id: str) -> str:
    return task_id + PLAN_SUFFIX


def run_task_id(task_id: str) -> str:
    return task_id + RUN_SUFFIX


def group_id(task_id: str) -> str:
    return task_id + GROUP_SUFFIX


def skipped_with(kind: str, task_id: str) -> list[str]:
    """The tasks to skip when a step of ``kind`` is reused whole: its own task and, for a
    ParallelRunStep, its planning task (the mapped task then skips as its downstream)."""
    return [plan_task_id(task_id), task_id] if kind == PARALLEL_RUN_KIND else [task_id]
