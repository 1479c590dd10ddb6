"""The worker process of a ParallelRunStep: loads the entry script, calls ``init()`` once,
then ``run(mini_batch)`` for each mini-batch it is sent. Run as
``python <path of this file> <entry_script> [arguments...]`` in the staged source folder.

It imports no Airflow (nor anything of mlpipelines that would): a step's script process
never reaches Airflow. Jobs arrive as JSON lines on stdin; results leave as JSON lines on
the process's original stdout, which is then pointed at stderr so the script's own prints
go to the task log and never into the protocol.
"""

from __future__ import annotations

import json
import os
import sys
from importlib.machinery import ModuleSpec, SourceFileLoader
from types import ModuleType

# Not typing at run time (nor importlib.util, nor traceback until something fails): a worker
# starts in ~25 ms less, before the entry script imports what it needs.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

TRACEBACK_LINES = 12


def _load(entry_script: str) -> Any:
    sys.path.insert(0, os.getcwd())
    # What importlib.util.spec_from_file_location and module_from_spec do for a .py file.
    path = os.path.abspath(entry_script)
    loader = SourceFileLoader("entry_script", path)
    spec = ModuleSpec("entry_script", loader, origin=path)
    spec.has_location = True
    module = ModuleType("entry_script")
    module.__spec__ = spec
    module.__loader__ = loader
    module.__file__ = path
    module.__cached__ = spec.cached  # type: ignore[attr-defined]
    module.__package__ = ""
    sys.modules["entry_script"] = module
    loader.exec_module(module)
    if not callable(getattr(module, "run", None)):
        raise AttributeError(f"entry script {entry_script} defines no run(mini_batch) function")
    return module


def _mini_batch(job: dict[str, Any]) -> Any:
    if job["input"] == "table":
        import pandas as pd

        return pd.read_parquet(job["path"])
    return list(job["paths"])


def _rows(result: Any) -> list[str] | None:
    """The rows ``append_row`` writes for a result: one per element of a list (or tuple),
    one per row of a DataFrame (values separated by spaces); None for anything else."""
    if isinstance(result, (list, tuple)):
        return [str(value) for value in result]
    if hasattr(result, "to_csv") and hasattr(result, "columns"):
        text: str = result.to_csv(sep=" ", header=False, index=False)
        return text.splitlines()
    return None


def run_job(module: Any, job: dict[str, Any]) -> dict[str, Any]:
    """One mini-batch through ``run()``; a raised exception fails all its items, and a
    result shorter than the mini-batch fails the missing ones (under ``append_row``)."""
    labels: list[str] = job["labels"]
    size = int(job["size"])
    reply: dict[str, Any] = {"index": job["index"], "key": job["key"], "items": size}
    try:
        result = module.run(_mini_batch(job))
    except Exception:
        import traceback

        lines = traceback.format_exc().strip().splitlines()
        return {
            **reply,
            "ok": False,
            "processed": 0,
            "failed": labels,
            "rows": [],
            "error": "\n".join(lines[-TRACEBACK_LINES:]),
        }
    rows = _rows(result)
    if job["append_row"] and rows is None:
        return {
            **reply,
            "ok": False,
            "processed": 0,
            "failed": labels,
            "rows": [],
            "error": f"run() returned {type(result).__name__}; append_row needs a list or "
            "a pandas DataFrame",
        }
    if job["append_row"] and rows is not None and len(rows) < size:
        missing = size - len(rows)
        return {
            **reply,
            "ok": False,
            "processed": len(rows),
            "failed": [f"{missing} of {', '.join(labels[:3])}..."],
            "failed_count": missing,
            "rows": rows,
            "error": f"run() returned {len(rows)} results for {size} items",
        }
    return {**reply, "ok": True, "processed": size, "failed": [], "rows": rows or []}


def main(argv: list[str]) -> int:
    entry_script, arguments = argv[0], argv[1:]
    here = os.path.dirname(os.path.abspath(__file__))
    # Run by path, this file's folder leads sys.path: its modules must not shadow the
    # entry script's imports.
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]
    protocol = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    sys.argv = [entry_script, *arguments]
    try:
        module = _load(entry_script)
        if callable(getattr(module, "init", None)):
            module.init()
    except BaseException:
        import traceback

        protocol.write(json.dumps({"init_error": traceback.format_exc()[-4000:]}) + "\n")
        return 1
    protocol.write(json.dumps({"ready": True}) + "\n")
    for line in sys.stdin:
        if not line.strip():
            continue
        protocol.write(json.dumps(run_job(module, json.loads(line))) + "\n")
    shutdown = getattr(module, "shutdown", None)
    if callable(shutdown):
        shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
