"""Names and paths that Airflow and datastores accept, shared by the model and the runtime."""

from __future__ import annotations

import functools
import re

AIRFLOW_ID = re.compile(r"^[A-Za-z0-9_.\-]{1,250}$")
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-]+")


@functools.lru_cache(maxsize=4096)
def task_id_for(step_name: str) -> str:
    """The Airflow task id for a step name: characters Airflow refuses become '_'."""
    return _UNSAFE.sub("_", step_name.strip()).strip("._-") or ""


def path_safe(value: str) -> str:
    """A run id or name made safe for one path segment on any datastore."""
    return _UNSAFE.sub("_", value)
