"""The cyclic collector is paused while a pipeline becomes a DAG or a folder is snapshotted,
and restored after."""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from mlpipelines._collector import collection_paused
from mlpipelines.translate.spec import plan_to_spec
from mlpipelines.translate.spec_loader import render_spec


def test_paused_inside_and_enabled_again_after() -> None:
    assert gc.isenabled()
    with collection_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_enabled_again_after_an_error() -> None:
    with pytest.raises(RuntimeError), collection_paused():
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_a_collector_the_caller_disabled_stays_disabled() -> None:
    gc.disable()
    try:
        with collection_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


SNAPSHOT_MODULES = (
    "snapshot/walk.py",
    "snapshot/ignore.py",
    "snapshot/digest.py",
    "snapshot/stat_cache.py",
)
BUILD_MODULES = ("model/planning.py", "translate/render.py", "translate/spec.py")


@contextmanager
def collections_inside(modules: tuple[str, ...]) -> Iterator[list[int]]:
    """The generations of the collections that start while a frame of ``modules`` is on the
    stack (one runs as a pause ends, outside them: it does not count)."""
    collections: list[int] = []

    def record(phase: str, info: dict) -> None:
        frame = sys._getframe(1)
        while frame is not None:
            if frame.f_code.co_filename.endswith(modules) and phase == "start":
                collections.append(info["generation"])
                return
            frame = frame.f_back

    gc.callbacks.append(record)
    try:
        yield collections
    finally:
        gc.callbacks.remove(record)


def _chain(tmp_path, n: int):
    from mlpipelines import Pipeline, PipelineData, PythonScriptStep, Workspace

    tmp_path.mkdir(exist_ok=True)
    (tmp_path / "a.py").write_text("print(1)\n")
    steps, previous = [], None
    for i in range(n):
        out = PipelineData(f"out_{i}")
        steps.append(
            PythonScriptStep(
                name=f"step_{i}",
                script_name="a.py",
                source_directory=str(tmp_path),
                arguments=["--out", out] + ([] if previous is None else ["--in", previous]),
                inputs=[] if previous is None else [previous],
                outputs=[out],
            )
        )
        previous = out
    return Pipeline(Workspace.current(), steps)


@pytest.mark.parametrize("build", ["to_dag", "to_task_group", "stored spec"])
def test_no_collection_runs_while_a_pipeline_is_rendered(tmp_path, build) -> None:
    from airflow.sdk import DAG

    _chain(tmp_path / "warm", 1).to_dag("warm")  # imports done: they collect as they like
    pipeline = _chain(tmp_path, 60)  # thousands of allocations: collections would run
    spec = plan_to_spec(pipeline.plan("paused"), "paused")
    with collections_inside(BUILD_MODULES) as collections:
        if build == "to_dag":
            dag = pipeline.to_dag("paused")
        elif build == "stored spec":  # how the loader DAG renders published pipelines
            dag = render_spec(spec)
        else:
            with DAG("outer", schedule=None) as dag:
                pipeline.to_task_group("paused")
    assert len(dag.tasks) >= 60
    assert collections == []
    assert gc.isenabled()


def test_no_collection_runs_while_a_folder_is_snapshotted(tmp_path) -> None:
    from mlpipelines.snapshot.stat_cache import StatCache
    from mlpipelines.snapshot.tree import take_snapshot

    for i in range(3000):  # thousands of per-file objects: collections would run
        (tmp_path / f"f{i}.txt").write_text(str(i))
    with collections_inside(SNAPSHOT_MODULES) as collections:
        snapshot = take_snapshot(tmp_path, StatCache())
    assert len(snapshot.files) == 3000
    assert collections == []
    assert gc.isenabled()
