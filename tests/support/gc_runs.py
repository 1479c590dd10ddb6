"""A deployment made by real code paths for gc tests: snapshots shipped and specs stored as
submitting stores them, runs made by the step runtime, a step task SIGKILLed mid-write."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from mlpipelines import Pipeline, PipelineData, PipelineParameter, PythonScriptStep, Workspace
from mlpipelines.cli.main import main
from mlpipelines.client.experiment import upload_snapshots
from mlpipelines.model.planning import plan_pipeline
from mlpipelines.records import StepDefinition
from mlpipelines.runtime.python_script import run_python_script_step
from mlpipelines.runtime.step_context import StepContext
from mlpipelines.storage.location import StoreLocation
from mlpipelines.translate.spec import keep_spec_by_digest, plan_to_spec, store_spec

PRODUCE = """
import os, sys, time
out, n, counter = sys.argv[1:4]
open(counter, "a").write(f"produce {n}\\n")
with open(os.path.join(out, "value.txt"), "w") as sink:
    sink.write(n * 1000)
    sink.flush()
    hang = os.environ.get("GC_TEST_HANG")
    if hang:
        open(hang + ".tmp", "w").write(f"{os.getpid()} {os.getppid()}")
        os.replace(hang + ".tmp", hang)
        time.sleep(120)
"""
CONSUME = """
import os, sys
data, out, counter = sys.argv[1:4]
open(counter, "a").write("consume\\n")
value = open(os.path.join(data, "value.txt")).read()
open(os.path.join(out, "size.txt"), "w").write(str(len(value)) + "{suffix}")
"""
RUNNER = """
import json, sys
from mlpipelines.records import StepDefinition
from mlpipelines.runtime.python_script import run_python_script_step
from mlpipelines.runtime.step_context import StepContext
definition = StepDefinition.from_json(json.load(open(sys.argv[1])))
ctx = StepContext(sys.argv[2], sys.argv[3], definition.task_id, json.loads(sys.argv[4]),
                  lambda producer, name: None)
run_python_script_step(definition, ctx)
"""


class GcDeployment:
    """A deployment in ``tmp_path`` (its default datastore a local folder, unless an Airflow
    connection in the environment names another): sources, submitted specs, runs."""

    def __init__(self, tmp_path: Path) -> None:
        self.root = tmp_path
        self.home = tmp_path / "home"
        self.store = self.home / "mlpipelines" / "workspaceblobstore"
        self.temp = tmp_path / "tmp"
        self.temp.mkdir()
        self.counter = tmp_path / "counter.txt"
        self.config = tmp_path / "config.json"
        self.config.write_text(json.dumps({"name": "gc", "home": str(self.home)}))

    def sources(self, consume_suffix: str, name: str = "consume") -> dict[str, Path]:
        folders = {"produce": self.root / "src" / "produce", "consume": self.root / "src" / name}
        for step, folder in folders.items():
            folder.mkdir(parents=True, exist_ok=True)
            code = PRODUCE if step == "produce" else CONSUME.replace("{suffix}", consume_suffix)
            (folder / f"{step}.py").write_text(code)
        return folders

    def submit(self, dag_id: str, folders: dict[str, Path]) -> dict[str, StepDefinition]:
        """Ship snapshots and store the spec as ``Experiment.submit`` does (no trigger)."""
        ws = Workspace.current()
        n = PipelineParameter("n", default_value=0)
        value = PipelineData("value", datastore=ws.get_default_datastore())
        size = PipelineData("size", datastore=ws.get_default_datastore())
        PythonScriptStep(
            name="produce",
            script_name="produce.py",
            source_directory=str(folders["produce"]),
            arguments=[value, n, str(self.counter)],
            outputs=[value],
        )
        consume = PythonScriptStep(
            name="consume",
            script_name="consume.py",
            source_directory=str(folders["consume"]),
            arguments=[value, size, str(self.counter)],
            inputs=[value],
            outputs=[size],
        )
        plan = upload_snapshots(plan_pipeline(Pipeline(ws, [consume]), dag_id), ws)
        spec = plan_to_spec(plan, dag_id)
        keep_spec_by_digest(spec, ws)
        store_spec(spec, ws)
        return {t.task_id: t.definition for t in plan.tasks}

    def run(self, dag_id: str, steps: dict[str, StepDefinition], run_id: str, n: int) -> dict:
        pushed: dict = {}
        reused = {}
        for task_id, definition in steps.items():
            ctx = StepContext(
                dag_id,
                run_id,
                task_id,
                {"n": n, "regenerate_outputs": False},
                lambda producer, name: pushed.get((producer, name)),
            )
            result = run_python_script_step(definition, ctx)
            reused[task_id] = result.reused is not None
            for name, ref in result.outputs.items():
                pushed[(task_id, name)] = ref
        return reused

    def ran(self) -> list[str]:
        lines = self.counter.read_text().splitlines() if self.counter.exists() else []
        self.counter.write_text("")
        return lines

    def kill_mid_write(self, dag_id: str, definition: StepDefinition, run_id: str) -> None:
        """Run ``definition`` in a task process of its own and SIGKILL it and its script
        while the script writes its output."""
        (self.root / "step.json").write_text(json.dumps(definition.to_json()))
        (self.root / "runner.py").write_text(RUNNER)
        pids = self.root / "pids"
        env = {
            **os.environ,
            "TMPDIR": str(self.temp),
            "GC_TEST_HANG": str(pids),
            "MLPIPELINES_SCRIPT_ENV_PASS": "GC_TEST_HANG",  # a worker setting for its scripts
        }
        task = subprocess.Popen(
            [
                sys.executable,
                str(self.root / "runner.py"),
                str(self.root / "step.json"),
                dag_id,
                run_id,
                json.dumps({"n": 4}),
            ],
            env=env,
        )
        deadline = time.monotonic() + 60
        while not pids.exists():
            assert task.poll() is None and time.monotonic() < deadline, "the step never started"
            time.sleep(0.1)
        script, parent = (int(p) for p in pids.read_text().split())
        assert parent == task.pid
        task.kill()
        with contextlib.suppress(ProcessLookupError):
            os.kill(script, signal.SIGKILL)
        task.wait()

    def gc(self, *args: str) -> None:
        code = main(
            [
                "gc",
                "--config",
                str(self.config),
                "--offline",
                "--temp-dir",
                str(self.temp),
                *args,
            ]
        )
        assert code == 0

    @property
    def location(self) -> StoreLocation:
        return Workspace.current().get_default_datastore().location

    def listing(self, relative: str) -> list[str]:
        """The names directly under ``relative`` on the default datastore."""
        fs = self.location.fs
        fs.invalidate_cache()
        try:
            found = fs.ls(self.location.path(relative), detail=False)
        except FileNotFoundError:
            return []
        return sorted(str(p).rstrip("/").rsplit("/", 1)[-1] for p in found)

    def manifests(self) -> dict[str, dict]:
        fs, folder = self.location.fs, ".mlpipelines/reuse"
        return {
            name.removesuffix(".json"): json.loads(
                fs.cat_file(self.location.path(f"{folder}/{name}"))
            )
            for name in self.listing(folder)
            if name.endswith(".json")
        }

    def snapshots(self) -> set[str]:
        return set(self.listing(".mlpipelines/snapshot-files"))
