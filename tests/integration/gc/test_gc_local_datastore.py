"""``mlpipelines gc`` on a real local datastore laid out by real code paths: snapshots
shipped and specs stored as submitting and publishing store them, runs made by the step
runtime (outputs, artifacts, manifests), and a step task killed mid-write (its partial
output, temp work folder and reuse marker left behind)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from mlpipelines import Pipeline, PipelineData, PipelineParameter, PythonScriptStep, Workspace
from mlpipelines.cli.main import main
from mlpipelines.client.experiment import upload_snapshots
from mlpipelines.model.planning import plan_pipeline
from mlpipelines.publishing.experiments import note_experiment
from mlpipelines.publishing.records import RecordStore
from mlpipelines.records import StepDefinition
from mlpipelines.reuse.store import ReuseStore
from mlpipelines.runtime.python_script import run_python_script_step
from mlpipelines.runtime.step_context import StepContext
from mlpipelines.snapshot.stat_cache import cached_paths
from mlpipelines.translate.spec import keep_spec_by_digest, plan_to_spec, store_spec

pytestmark = pytest.mark.integration

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


class Deployment:
    """A local deployment in ``tmp_path``: sources, submitted specs and runs of ``exp``."""

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
        env = {**os.environ, "TMPDIR": str(self.temp), "GC_TEST_HANG": str(pids)}
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

    def manifests(self) -> dict[str, dict]:
        folder = self.store / ".mlpipelines" / "reuse"
        return {p.stem: json.loads(p.read_text()) for p in folder.glob("*.json")}

    def snapshots(self) -> set[str]:
        folder = self.store / ".mlpipelines" / "snapshot-files"
        return {p.name for p in folder.iterdir()}


@pytest.fixture
def deployment(tmp_path, monkeypatch):
    made = Deployment(tmp_path)
    monkeypatch.setenv("AIRFLOW_HOME", str(made.home))
    monkeypatch.delenv("MLPIPELINES_CACHE_DIR", raising=False)
    return made


def _snapshot_of(definition: StepDefinition) -> str:
    assert definition.source_ref is not None
    return definition.source_ref.path.rsplit("/", 1)[-1]


def test_gc_keeps_what_is_needed_and_removes_old_runs_orphans_and_unused_sources(
    deployment, capsys
):
    d = deployment
    exp = f"exp_{uuid.uuid4().hex[:6]}"
    first = d.submit(exp, d.sources("v1"))
    note_experiment(exp, exp, Workspace.current())
    assert d.run(exp, first, "r1", 1) == {"produce": False, "consume": False}
    assert d.run(exp, first, "r2", 2) == {"produce": False, "consume": False}
    # Published from the first version: its snapshots must outlive the experiment's moving on.
    published = d.submit("pub__v1", d.sources("v1"))
    RecordStore.published(Workspace.current()).put(
        {"id": "p1", "name": "pub", "version": "1", "dag_id": "pub__v1", "status": "Active"}
    )
    second = d.submit(exp, d.sources("v2"))
    assert d.run(exp, second, "r3", 3) == {"produce": False, "consume": False}
    # A publish that timed out: its spec and snapshots were stored, its record never was.
    abandoned = d.submit("timed_out__v1", d.sources("v3", name="scratch"))
    d.kill_mid_write(exp, second["produce"], "r4")
    d.ran()
    manifests_before = d.manifests()
    assert {m["run_id"] for m in manifests_before.values()} == {"r1", "r2", "r3"}
    work_folders = [p for p in d.temp.iterdir() if p.name.startswith("mlpipelines-")]
    assert work_folders, "the killed task left its work folder"
    run4 = d.store / "pipelinedata" / exp / "r4" / "produce"
    assert [p.name for p in run4.iterdir() if ".partial-" in p.name]
    assert list((d.store / ".mlpipelines" / "reuse").glob("*.inprogress"))
    snapshots_before = d.snapshots()

    d.gc("--dry-run", "--keep-last", "2", "--older-than", "0s", "--grace", "0s")
    shown = capsys.readouterr().out
    for title in ("reuse manifests", "run outputs", "leftovers of killed tasks", "total"):
        assert title in shown
    assert d.manifests() == manifests_before and d.snapshots() == snapshots_before

    d.gc("--keep-last", "2", "--older-than", "0s", "--grace", "0s")
    assert "freed" in capsys.readouterr().out

    # Old runs' outputs, artifacts and manifests are gone; the newest two runs' stay.
    assert sorted(p.name for p in (d.store / "pipelinedata" / exp).iterdir()) == ["r3", "r4"]
    assert sorted(p.name for p in (d.store / "artifacts" / exp).iterdir()) == ["r3"]
    assert {m["run_id"] for m in d.manifests().values()} == {"r3"}
    # The killed task's partial output, work folder and marker are gone.
    assert not [p for p in run4.iterdir() if ".partial-" in p.name]
    assert not [p for p in d.temp.iterdir() if p.name.startswith("mlpipelines-")]
    assert not list((d.store / ".mlpipelines" / "reuse").glob("*.inprogress"))
    # Specs: the experiment's and the published one stay, the unrecorded one goes, with
    # the snapshot only it named; the published pipeline keeps its (older) snapshots.
    specs = d.store / ".mlpipelines" / "specs"
    assert sorted(p.name for p in specs.iterdir()) == [f"{exp}.json", "pub__v1.json"]
    assert d.snapshots() == snapshots_before - {_snapshot_of(abandoned["consume"])}
    for definition in (*published.values(), *second.values()):
        assert _snapshot_of(definition) in d.snapshots()
    # No manifest left points at data that is gone.
    store = ReuseStore(second["produce"].default_datastore)
    for key in d.manifests():
        manifest, warning = store.load_manifest(key)
        assert manifest is not None and warning is None

    # Re-running an old run's parameters recomputes (its manifests went with its data);
    # the kept run's are reused.
    assert d.run(exp, second, "r5", 1) == {"produce": False, "consume": False}
    assert d.ran() == ["produce 1", "consume"]
    assert d.run(exp, second, "r6", 3) == {"produce": True, "consume": True}
    assert d.ran() == []


def test_a_second_gc_drops_the_stat_caches_of_removed_outputs(deployment, capsys):
    d = deployment
    exp = f"exp_{uuid.uuid4().hex[:6]}"
    steps = d.submit(exp, d.sources("v1"))
    note_experiment(exp, exp, Workspace.current())
    for n in (1, 2, 3):
        d.run(exp, steps, f"r{n}", n)
    time.sleep(2.2)  # older than the stat cache's racy window: checking a reuse caches them
    for n in (1, 2, 3):
        assert d.run(exp, steps, f"again{n}", n) == {"produce": True, "consume": True}
    cache = d.home / "mlpipelines" / ".cache" / "stat"
    roots = {p: cached_paths(p) for p in cache.iterdir()}
    old = {
        p
        for p, files in roots.items()
        if any(f"/{exp}/r1/" in f or f"/{exp}/r2/" in f for f in files)
    }
    assert len(old) == 4  # two outputs in each of two runs

    d.gc("--keep-last", "1", "--older-than", "0s", "--grace", "0s")
    assert set(cache.iterdir()) == set(roots)  # their outputs were still there when surveyed
    assert not (d.store / "pipelinedata" / exp / "r1").exists()
    capsys.readouterr()
    d.gc("--keep-last", "1", "--older-than", "0s", "--grace", "0s", "--list")
    assert "stat caches" in capsys.readouterr().out
    assert set(cache.iterdir()) == set(roots) - old
