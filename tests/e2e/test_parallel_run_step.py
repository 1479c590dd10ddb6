"""ParallelRunStep on the real Airflow, submitted as AML v1 code submits it: a FileDataset of
small files scored in two worker processes, a re-run after adding files runs only those,
and failures over error_threshold fail the step naming the items."""

from __future__ import annotations

import pytest

from mlpipelines.azureml.core import Dataset, Experiment, Workspace
from mlpipelines.azureml.pipeline.core import Pipeline, PipelineData
from mlpipelines.azureml.pipeline.steps import (
    ParallelRunConfig,
    ParallelRunStep,
    PythonScriptStep,
)

pytestmark = pytest.mark.e2e

SCORE = """import argparse, os, sys, time

def init():
    global OFFSET
    parser = argparse.ArgumentParser()
    parser.add_argument("--offset", type=int)
    OFFSET = parser.parse_known_args()[0].offset
    assert not any(m == "airflow" or m.startswith("airflow.") for m in sys.modules)

def run(mini_batch):
    print(f"run({len(mini_batch)} files) in {os.getpid()}")
    time.sleep(0.2)  # scoring takes a while: both workers get mini-batches
    results = []
    for path in mini_batch:
        text = open(path).read()
        if text == "bad":
            raise ValueError("unreadable digit " + os.path.basename(path))
        results.append(f"{os.path.basename(path)} {int(text) + OFFSET} {os.getpid()}")
    return results
"""

COUNT = """import os, sys
from mlpipelines.azureml.core import Run
rows = open(os.path.join(sys.argv[2], "parallel_run_step.txt")).read().splitlines()
run = Run.get_context()
run.log("rows", len(rows))
run.log("workers", len({r.split()[2] for r in rows}))
run.log("total", sum(int(r.split()[1]) for r in rows))
"""


def _pipeline(ws: Workspace, src, folder: str, **config) -> Pipeline:
    datastore = ws.get_default_datastore()
    digits = Dataset.File.from_files(path=(datastore, f"{folder}/*.txt"))
    scores = PipelineData("scores", datastore=datastore)
    score = ParallelRunStep(
        name="score",
        parallel_run_config=ParallelRunConfig(
            source_directory=str(src),
            entry_script="score.py",
            output_action="append_row",
            process_count_per_node=2,
            node_count=config.pop("node_count", 1),
            **config,
        ),
        inputs=[digits.as_named_input("digits")],
        output=scores,
        arguments=["--offset", 1000],
    )
    count = PythonScriptStep(
        "count.py",
        name="count",
        source_directory=str(src),
        arguments=["--scores", scores],
        inputs=[scores],
    )
    return Pipeline(ws, [score, count])


def _logs(run) -> str:
    """The logs of a run's steps that did not succeed, for a failed assertion to show."""
    return "\n".join(
        f"--- {s.name}: {s.get_status()}\n{s.get_logs()[-3000:]}"
        for s in run.get_steps()
        if s.get_status() != "Finished"
    )


def test_files_in_two_workers_rerun_runs_added_files_and_threshold_fails(airflow, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "score.py").write_text(SCORE)
    (src / "count.py").write_text(COUNT)
    digits = airflow.blobstore / "e2e_digits"
    digits.mkdir(parents=True)
    for n in range(30):
        (digits / f"d{2 * n:03}.txt").write_text(str(n))
    ws = Workspace.from_config(airflow.home / "config.json")
    experiment = Experiment(ws, "parallel_digits")
    pipeline = _pipeline(ws, src, "e2e_digits", mini_batch_size="4", error_threshold=0)

    first = experiment.submit(pipeline)
    status = first.wait_for_completion(show_output=False, raise_on_error=False)
    (score,) = first.find_step_run("score")
    assert status == "Finished", _logs(first)
    assert score.get_metrics()["run_items"] == 30
    assert score.get_metrics()["mini_batches"] == 8
    assert first.find_step_run("count")[0].get_metrics() == {
        "rows": 30,
        "workers": 2,
        "total": 30 * 1000 + sum(range(30)),
    }
    assert "30 items: 30 processed (0 reused" in score.get_logs()

    for n in (1, 17, 61):  # between and after the first files
        (digits / f"d{n:03}.txt").write_text("100")
    again = experiment.submit(pipeline)
    status = again.wait_for_completion(show_output=False, raise_on_error=False)
    assert status == "Finished", _logs(again)
    metrics = again.find_step_run("score")[0].get_metrics()
    assert (metrics["run_items"], metrics["reused_items"], metrics["processed_items"]) == (
        3,
        30,
        33,
    )
    assert again.find_step_run("count")[0].get_metrics()["rows"] == 33

    # Nothing changed: the reuse sensor skips the whole step, its planning and mapped tasks too.
    same = experiment.submit(pipeline)
    assert same.wait_for_completion(show_output=False, raise_on_error=False) == "Finished"
    assert same.find_step_run("score")[0].reused
    assert same.find_step_run("score")[0].get_metrics()["processed_items"] == 33
    tis = airflow.api.task_instances(same.dag_id, same.id)
    states = {ti["task_id"]: ti["state"] for ti in tis}
    assert states["score__plan"] == states["score__run"] == states["score"] == "skipped", states

    bad = airflow.blobstore / "e2e_bad_digits"
    bad.mkdir()
    for n in range(6):
        (bad / f"b{n}.txt").write_text("bad" if n in (1, 4) else str(n))
    failing = experiment.submit(
        _pipeline(ws, src, "e2e_bad_digits", mini_batch_size=1, error_threshold=1, node_count=2)
    )
    assert failing.wait_for_completion(show_output=False, raise_on_error=False) == "Failed"
    (score,) = failing.find_step_run("score")
    log = score.get_logs()
    assert "2 items failed, more than error_threshold=1" in log
    assert "b1.txt, b4.txt" in log and "unreadable digit b1.txt" in log
    assert failing.find_step_run("count")[0].get_status() != "Finished"
