"""U-SQL in an AdlaStep's script, found when the pipeline is validated (at parse, submit or
publish) rather than when its task runs: the old service's language does not run here."""

from __future__ import annotations

import os
from typing import Any

from mlpipelines.model.analytics import AdlaStep
from mlpipelines.records.usql import find_usql


def usql_problems(step: Any) -> list[tuple[str, str]]:
    """A ``usql-script`` problem naming each U-SQL line of an AdlaStep's script (none for
    other steps, or a script that is missing: that is a problem of its own)."""
    if not isinstance(step, AdlaStep) or not isinstance(step.script_name, str):
        return []
    path = os.path.join(step.source_folder, step.script_name)
    try:
        with open(path, encoding="utf-8", errors="replace") as file:
            sql = file.read()
    except OSError:
        return []
    found = find_usql(
        sql,
        ", ".join(_name(i) for i in step.inputs),
        ", ".join(_name(o) for o in step.outputs),
        ", ".join(step.params),
    )
    if not found:
        return []
    lines = "\n".join(f"    line {c.line}, {c.construct}: {c.instead}" for c in found)
    return [
        (
            "usql-script",
            f"script '{step.script_name}' is U-SQL, which does not run on Airflow; the script "
            "must be SQL for DuckDB (or Databricks SQL on an analytics target with "
            "engine='databricks_sql'), see docs/analytics.md:\n" + lines,
        )
    ]


def _name(item: Any) -> str:
    """An input's or output's name; a (PipelineParameter, binding) DataPath pair: its
    parameter's."""
    if isinstance(item, tuple) and item:
        item = item[0]
    return str(getattr(item, "name", item))
