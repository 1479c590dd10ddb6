"""``mlpipelines gc`` on the real Airflow: safe while a run is going on (its outputs, the
old outputs it reuses and a published pipeline's snapshot stay; old runs go, and re-running
one recomputes), and it clears what a SIGKILLed step task left behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from mlpipelines import (
    Experiment,
    Pipeline,
    PipelineData,
    PipelineParameter,
    PythonScriptStep,
    Workspace,
)
from mlpipelines._naming import path_safe
from mlpipelines.translate.spec import read_spec

pytestmark = pytest.mark.e2e

PRODUCE = """import os, sys
out, n, counter = sys.argv[1:4]
open(counter, "a").write(f"produce {n}\\n")
open(os.path.join(out, "value.txt"), "w").write(n)
"""
SLOW = """import os, sys, time
data, out, flag = sys.argv[1:4]
if os.path.exists(flag):
    open(flag + ".started", "w").write(str(os.getpid()))
    deadline = time.time() + 240
    while os.path.exists(flag) and time.time() < deadline:
        time.sleep(0.2)
value = open(os.path.join(data, "value.txt")).read()
open(os.path.join(out, "seen.txt"), "w").write(value)
"""
PUBLISHED = """print("published")
"""


def _gc(airflow, *args: str) -> str:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mlpipelines.cli.main",
            "gc",
            "--config",
            str(airflow.home / "config.json"),
            "--temp-dir",
            str(airflow.temp),
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _wait_for(path: Path, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.3)


def _slow_pipeline(ws: Workspace, src: Path, counter: Path, flag: Path) -> Pipeline:
    for name, code in (("produce", PRODUCE), ("slow", SLOW)):
        (src / name).mkdir(parents=True)
        (src / name / f"{name}.py").write_text(code)
    n = PipelineParameter("n", default_value=0)
    value = PipelineData("value", datastore=ws.get_default_datastore())
    seen = PipelineData("seen", datastore=ws.get_default_datastore())
    PythonScriptStep(
        name="produce",
        script_name="produce.py",
        source_directory=str(src / "produce"),
        arguments=[value, n, str(counter)],
        outputs=[value],
    )
    slow = PythonScriptStep(
        name="slow",
        script_name="slow.py",
        source_directory=str(src / "slow"),
        arguments=[value, seen, str(flag)],
        inputs=[value],
        outputs=[seen],
        allow_reuse=False,
    )
    return Pipeline(ws, [slow])


def _manifests_of(airflow, dag_id: str) -> list[dict]:
    folder = airflow.blobstore / ".mlpipelines" / "reuse"
    found = [json.loads(p.read_text()) for p in folder.glob("*.json")]
    return [m for m in found if m["dag_id"] == dag_id]


def test_gc_while_a_run_is_going_on_keeps_what_it_needs(airflow, tmp_path):
    ws = Workspace.from_config(airflow.home / "config.json")
    name = f"gc_{uuid.uuid4().hex[:8]}"
    counter, flag = tmp_path / "counter.txt", tmp_path / "hold.flag"
    pipeline = _slow_pipeline(ws, tmp_path / "src", counter, flag)
    experiment = Experiment(ws, name)
    runs = []
    for n in (1, 2, 3):
        run = experiment.submit(pipeline, pipeline_parameters={"n": n})
        assert run.wait_for_completion(show_output=False, timeout_seconds=300) == "Finished"
        runs.append(run.id)
    (tmp_path / "pub").mkdir()
    (tmp_path / "pub" / "hello.py").write_text(PUBLISHED)
    hello = PythonScriptStep(
        name="hello", script_name="hello.py", source_directory=str(tmp_path / "pub")
    )
    published = Pipeline(ws, [hello]).publish(name=f"{name}_pub")
    source = read_spec(published.dag_id, ws)["tasks"][0]["definition"]["source_ref"]["path"]
    assert (airflow.blobstore / source).is_dir()

    # In flight: n=3 again reuses run 3's `produce`; `slow` holds until the flag goes.
    flag.write_text("hold")
    going = experiment.submit(pipeline, pipeline_parameters={"n": 3})
    _wait_for(Path(str(flag) + ".started"))
    counter.write_text("")
    shown = _gc(airflow, "--dry-run", "--keep-last", "0", "--older-than", "0s", "--grace", "0s")
    assert "would free" in shown
    freed = _gc(airflow, "--keep-last", "0", "--older-than", "0s", "--grace", "0s")
    assert "freed" in freed
    flag.unlink()
    assert going.wait_for_completion(show_output=False, timeout_seconds=300) == "Finished"

    data = airflow.blobstore / "pipelinedata" / name
    old = [path_safe(r) for r in runs]
    assert not (data / old[0]).exists() and not (data / old[1]).exists()
    assert not (airflow.blobstore / "artifacts" / name / old[2]).exists()
    # Run 3's `produce` output, which the run in flight reused, stayed with its manifest.
    assert (data / old[2] / "produce" / "value" / "value.txt").read_text() == "3"
    assert not (data / old[2] / "slow" / "seen").exists()
    assert (
        airflow.output_path(name, going.id, "slow", "seen").joinpath("seen.txt").read_text() == "3"
    )
    manifests = _manifests_of(airflow, name)
    assert {m["run_id"] for m in manifests} == {runs[2]}
    for manifest in manifests:
        for ref in manifest["outputs"].values():
            assert (airflow.blobstore / ref["path"]).exists(), "a manifest points at removed data"
    assert (airflow.blobstore / source).is_dir(), "the published pipeline lost its snapshot"

    # Run 1's parameters again: its manifests went with its data, so it recomputes.
    again = experiment.submit(pipeline, pipeline_parameters={"n": 1})
    assert again.wait_for_completion(show_output=False, timeout_seconds=300) == "Finished"
    assert counter.read_text().splitlines() == ["produce 1"]


def _parent_of(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("PPid:"):
            return int(line.split()[1])
    raise AssertionError(f"no parent of {pid}")


def test_gc_orphans_only_clears_what_a_killed_step_task_left(airflow, tmp_path):
    pid_file = tmp_path / "hang.pid"
    airflow.api.wait_for_dag("e2e_killed")
    before = {p.name for p in airflow.temp.iterdir()}
    run = airflow.api.trigger("e2e_killed", {"pid_file": str(pid_file)})
    run_id = run["dag_run_id"]
    _wait_for(pid_file)
    script = int(pid_file.read_text())
    task = _parent_of(script)
    work = [airflow.temp / n for n in {p.name for p in airflow.temp.iterdir()} - before]
    assert [p.name for p in work if p.name.startswith("mlpipelines-hang-")]
    os.kill(task, signal.SIGKILL)
    os.kill(script, signal.SIGKILL)
    final = airflow.api.wait_for_run("e2e_killed", run_id, timeout=180)
    assert final["state"] == "failed"
    step = airflow.blobstore / "pipelinedata" / "e2e_killed" / path_safe(run_id) / "hang"
    partials = [p for p in step.iterdir() if ".partial-" in p.name]
    assert partials and all(p.exists() for p in work)
    markers = airflow.blobstore / ".mlpipelines" / "reuse"

    def held_by_run() -> list[Path]:
        return [
            p
            for p in markers.glob("*.inprogress")
            if json.loads(p.read_text()).get("run_id") == run_id
        ]

    assert held_by_run()

    _gc(airflow, "--orphans-only")  # within the default grace: all of it stays
    assert all(p.exists() for p in partials + work) and held_by_run()
    time.sleep(2)
    _gc(airflow, "--orphans-only", "--grace", "1s")
    assert not any(p.exists() for p in partials + work)
    assert held_by_run() == []
