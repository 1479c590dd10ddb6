"""A ParallelRunStep's three runners called in turn, as its TaskGroup calls them: worker
processes, append_row output, mini-batch reuse, error threshold, tabular mini-batches."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from mlpipelines.azureml.core import Dataset, Workspace
from mlpipelines.azureml.pipeline.core import Pipeline, PipelineData
from mlpipelines.azureml.pipeline.steps import ParallelRunConfig, ParallelRunStep
from mlpipelines.errors import StepRunError
from mlpipelines.model.planning import plan_pipeline
from mlpipelines.runtime.parallel_run_batches import run_mini_batch_group
from mlpipelines.runtime.parallel_run_gather import run_parallel_run_step
from mlpipelines.runtime.parallel_run_plan import plan_mini_batches
from mlpipelines.runtime.step_context import StepContext

SCORE = """import os, sys, time

def init():
    global PID
    PID = os.getpid()
    assert not any(m == "airflow" or m.startswith("airflow.") for m in sys.modules)

def run(mini_batch):
    time.sleep(0.1)  # both workers of a group take mini-batches
    results = []
    for path in mini_batch:
        text = open(path).read()
        if "bad" in text:
            raise ValueError(f"cannot score {os.path.basename(path)}")
        results.append(f"{os.path.basename(path)} {sum(int(v) for v in text.split(','))} {PID}")
    return results
"""

TABLE = """import pandas as pd

def init():
    pass

def run(mini_batch):
    mini_batch["total"] = mini_batch["a"] + mini_batch["b"]
    return mini_batch[["a", "total"]]
"""

RUN_PREFIX = f"parallel_{uuid.uuid4().hex[:6]}"


def _ctx(run_id: str, task_id: str = "score") -> StepContext:
    return StepContext("dag", f"{RUN_PREFIX}_{run_id}", task_id, {}, lambda *_: None)


def _files(folder: Path, names: range, bad: tuple[int, ...] = ()) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for n in names:
        (folder / f"f{n:03}.csv").write_text("bad" if n in bad else f"{n},{n}")


def _definition(tmp_path: Path, folder: Path, script: str, **config):
    ws = Workspace.current()
    datastore = ws.get_default_datastore()
    (tmp_path / "src").mkdir(exist_ok=True)
    (tmp_path / "src" / "score.py").write_text(script)
    if script is TABLE:
        dataset = Dataset.Tabular.from_delimited_files(path=(datastore, f"{folder.name}/*.csv"))
    else:
        dataset = Dataset.File.from_files(path=(datastore, f"{folder.name}/*.csv"))
    output = PipelineData("scores", datastore=datastore)
    step = ParallelRunStep(
        name="score",
        parallel_run_config=ParallelRunConfig(
            source_directory=str(tmp_path / "src"),
            entry_script="score.py",
            **config,
        ),
        inputs=[dataset.as_named_input("numbers")],
        output=output,
    )
    return plan_pipeline(Pipeline(ws, [step])).tasks[0].definition


def _run(definition, run_id: str):
    """Plan, every mapped group, then gather: what the step's TaskGroup does."""
    plan = plan_mini_batches(definition, _ctx(run_id, "score__plan"))
    for group in plan.groups:
        run_mini_batch_group(definition, _ctx(run_id, "score__run"), group)
    batches = [b.to_json() for b in plan.batches]
    return plan, run_parallel_run_step(definition, _ctx(run_id), batches, plan.input_fingerprint)


def _rows(result) -> list[str]:
    ref = result.outputs["scores"]
    root = Workspace.current().get_default_datastore().root
    return (root / ref.path / "parallel_run_step.txt").read_text().splitlines()


def test_files_run_in_two_workers_and_a_rerun_runs_only_the_added_files(tmp_path):
    folder = Workspace.current().get_default_datastore().root / f"{RUN_PREFIX}-files"
    _files(folder, range(0, 30, 2))  # f000, f002, ..., f028
    definition = _definition(
        tmp_path, folder, SCORE, mini_batch_size="3", process_count_per_node=2, node_count=2
    )
    plan, first = _run(definition, "1")
    assert len(plan.batches) == 5 and len(plan.groups) == 2
    rows = _rows(first)
    assert sorted(r.split()[0] for r in rows) == [f"f{n:03}.csv" for n in range(0, 30, 2)]
    assert {r.split()[1] for r in rows} >= {"0", "56"}
    # Two mapped groups of two worker processes each, all of them given mini-batches.
    assert len({r.split()[2] for r in rows}) == 4
    assert first.metrics["run_items"] == 15 and first.metrics["reused_items"] == 0

    _files(folder, (1, 13, 29))  # between the others: earlier groupings must hold
    plan, again = _run(definition, "2")
    assert again.reused is None
    assert again.metrics["reused_items"] == 15
    assert again.metrics["run_items"] == 3
    assert again.metrics["processed_items"] == 18
    assert sorted(len(b.items) for b in plan.batches if not b.cached) == [3]
    assert len(_rows(again)) == 18

    plan, third = _run(definition, "3")
    assert third.reused is not None  # the whole step, input and code unchanged


def test_failures_over_the_threshold_fail_naming_the_items(tmp_path):
    folder = Workspace.current().get_default_datastore().root / f"{RUN_PREFIX}-bad"
    _files(folder, range(8), bad=(5,))
    definition = _definition(tmp_path, folder, SCORE, mini_batch_size=2, error_threshold=1)
    plan = plan_mini_batches(definition, _ctx("4"))
    with pytest.raises(StepRunError) as failed:
        run_mini_batch_group(definition, _ctx("4", "score__run"), plan.groups[0])
    message = str(failed.value)
    assert "2 items failed, more than error_threshold=1" in message
    assert "f004.csv, f005.csv" in message and "cannot score f005.csv" in message
    with pytest.raises(StepRunError, match=r"f004\.csv, f005\.csv"):
        run_parallel_run_step(definition, _ctx("4"), [b.to_json() for b in plan.batches])

    tolerant = _definition(tmp_path, folder, SCORE, mini_batch_size=2, error_threshold=-1)
    _, result = _run(tolerant, "5")
    assert result.metrics["failed_items"] == 2 and len(_rows(result)) == 6


def test_tabular_rows_become_dataframe_mini_batches(tmp_path):
    folder = Workspace.current().get_default_datastore().root / f"{RUN_PREFIX}-table"
    folder.mkdir(parents=True)
    (folder / "t.csv").write_text("a,b\n" + "".join(f"{i},{10 * i}\n" for i in range(25)))
    definition = _definition(tmp_path, folder, TABLE, mini_batch_size=10)
    plan, result = _run(definition, "6")
    assert [b.rows for b in plan.batches] == [(0, 10), (10, 20), (20, 25)]
    assert _rows(result) == [f"{i} {11 * i}" for i in range(25)]


COUNTING = """import os

def run(mini_batch):
    with open(RUN_LOG, "a") as log:  # one line per run() call
        log.write(" ".join(sorted(os.path.basename(p) for p in mini_batch)) + "\\n")
    return [os.path.basename(p) for p in mini_batch]
"""


def test_a_rerun_after_adding_files_calls_run_on_the_new_files_only(tmp_path):
    from mlpipelines.datasets.input_fingerprints import dataset_fingerprint
    from mlpipelines.runtime.parallel_run_plan import mini_batch_input

    folder = Workspace.current().get_default_datastore().root / f"{RUN_PREFIX}-count"
    _files(folder, range(0, 40, 2))  # 20 files: f000, f002, ..., f038
    run_log = tmp_path / "calls.txt"
    script = f"RUN_LOG = {str(run_log)!r}\n{COUNTING}"
    definition = _definition(
        tmp_path, folder, script, mini_batch_size="4", process_count_per_node=2
    )
    plan, first = _run(definition, "7")
    assert first.metrics["run_items"] == 20
    calls = run_log.read_text().splitlines()
    assert len(calls) == 5 and sorted(" ".join(calls).split()) == [
        f"f{n:03}.csv" for n in range(0, 40, 2)
    ]
    # The gathering task keys the step by the fingerprint the plan took, which is the one
    # the reuse sensor takes at run start: a later unchanged run is reused whole.
    spec = mini_batch_input(definition, {})
    assert plan.input_fingerprint == dataset_fingerprint(spec)

    run_log.unlink()
    _files(folder, (3, 17, 41))  # before, among and after the others
    plan, again = _run(definition, "8")
    assert run_log.read_text().splitlines() == ["f003.csv f017.csv f041.csv"]
    assert again.metrics["processed_items"] == 23 and again.metrics["run_items"] == 3
    assert sorted(_rows(again)) == sorted(f"f{n:03}.csv" for n in [*range(0, 40, 2), 3, 17, 41])
    assert plan.input_fingerprint == dataset_fingerprint(spec)
