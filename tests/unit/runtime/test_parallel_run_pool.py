"""The ParallelRunStep worker pool on real worker processes: every job replied to once,
jobs queued behind one that overruns its timeout or kills its worker still run, and the
last jobs spread over all the workers."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import pytest

from mlpipelines.errors import StepRunError
from mlpipelines.runtime.parallel_run_pool import WorkerPool

ENTRY = """import os, time

def run(items):
    rows = []
    for item in items:
        if item == "hang":
            time.sleep(60)
        if item == "die":
            os._exit(3)
        if item == "slow":
            time.sleep(0.3)
        rows.append(f"{item} {os.getpid()}")
    return rows
"""


def _jobs(items: list[str]) -> list[dict[str, Any]]:
    return [
        {
            "index": i,
            "key": f"k{i}",
            "labels": [item],
            "size": 1,
            "append_row": True,
            "input": "files",
            "paths": [item],
        }
        for i, item in enumerate(items)
    ]


def _run(tmp_path: Path, items: list[str], workers: int, timeout: float = 30.0) -> list[dict]:
    (tmp_path / "entry.py").write_text(ENTRY)
    pool = WorkerPool(
        workers, "entry.py", [], tmp_path, dict(os.environ), logging.getLogger("t"), timeout
    )
    replies: list[dict[str, Any]] = []
    pool.run(_jobs(items), replies.append)
    assert sorted(r["index"] for r in replies) == list(range(len(items)))  # each once
    return sorted(replies, key=lambda r: r["index"])


def test_jobs_behind_an_overrun_run_in_a_fresh_worker(tmp_path: Path) -> None:
    replies = _run(tmp_path, ["a", "b", "hang", "c", "d", "e"], workers=1, timeout=2.0)
    assert [r["ok"] for r in replies] == [True, True, False, True, True, True]
    assert "run_invocation_timeout (2 s)" in replies[2]["error"]
    before = {r["rows"][0].split()[1] for r in replies[:2]}
    after = {r["rows"][0].split()[1] for r in replies[3:]}
    assert before and after and not before & after  # the worker was replaced


def test_jobs_behind_a_dying_worker_still_run(tmp_path: Path) -> None:
    replies = _run(tmp_path, ["a", "die", "b", "c", "d"], workers=1)
    assert [r["ok"] for r in replies] == [True, False, True, True, True]
    assert "exited with code 3" in replies[1]["error"]
    assert replies[1]["failed"] == ["die"]


def test_the_last_jobs_spread_over_the_workers(tmp_path: Path) -> None:
    replies = _run(tmp_path, ["slow", "slow"], workers=2)
    assert len({r["rows"][0].split()[1] for r in replies}) == 2
    many = _run(tmp_path, ["x"] * 20 + ["slow"] * 2, workers=2)
    assert all(r["ok"] for r in many)


MODULE_ENTRY = """import os, sys

def run(items):
    if items == ["raise"]:
        raise ValueError("bad item")
    module = sys.modules["entry_script"]
    attributes = __file__ == os.path.abspath("entry.py") and __package__ == ""
    cached = __cached__.endswith(".pyc")
    return [f"{module.__name__} {attributes} {cached} {module.__spec__.origin}"]
"""


def test_the_entry_script_loads_as_a_module_named_entry_script_with_its_file(tmp_path: Path):
    (tmp_path / "entry.py").write_text(MODULE_ENTRY)
    pool = WorkerPool(1, "entry.py", [], tmp_path, dict(os.environ), logging.getLogger("t"), 30)
    replies: list[dict[str, Any]] = []
    pool.run(_jobs(["a", "raise"]), replies.append)
    replies.sort(key=lambda r: r["index"])
    assert replies[0]["rows"] == [f"entry_script True True {tmp_path / 'entry.py'}"]
    assert not replies[1]["ok"] and "ValueError: bad item" in replies[1]["error"]
    assert "Traceback" in replies[1]["error"]


def test_an_init_that_raises_fails_the_pool_with_its_traceback(tmp_path: Path) -> None:
    (tmp_path / "entry.py").write_text("def init():\n    raise KeyError('no model')\n\n" + ENTRY)
    pool = WorkerPool(1, "entry.py", [], tmp_path, dict(os.environ), logging.getLogger("t"), 30)
    with pytest.raises(StepRunError, match=r"(?s)failed to start.*Traceback.*KeyError: 'no model'"):
        pool.run(_jobs(["a"]), lambda reply: None)
