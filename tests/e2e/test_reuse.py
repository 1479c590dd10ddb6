"""Step reuse on the real Airflow: unchanged steps never run twice, and say why they ran."""

from __future__ import annotations

import json
import os
import shutil
import signal
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

TEMPLATE = Path(__file__).resolve().parent / "reuse_template"


@dataclass
class ReusePipeline:
    """A generated clean -> featurize -> train pipeline with its own sources and counter."""

    airflow: object
    dag_id: str
    src: Path
    raw: Path
    counter: Path
    hang_flag: Path

    def ran(self) -> list[str]:
        """The scripts that ran since the last call, in order."""
        lines = self.counter.read_text().splitlines() if self.counter.exists() else []
        self.counter.write_text("")
        return [line.split()[0] for line in lines]

    def run(self, conf: dict | None = None) -> tuple[dict, dict]:
        run, tis = self.airflow.run(self.dag_id, conf)
        assert run["state"] == "success", tis
        return run, tis

    def log(self, run: dict, task_id: str) -> str:
        return self.airflow.api.task_log(self.dag_id, run["dag_run_id"], task_id)

    def manifests(self) -> list[Path]:
        folder = self.airflow.blobstore / ".mlpipelines" / "reuse"
        return [
            p
            for p in folder.glob("*.json")
            if json.loads(p.read_text()).get("dag_id") == self.dag_id
        ]


@pytest.fixture
def pipeline(airflow, tmp_path) -> ReusePipeline:
    name = f"reuse_{uuid.uuid4().hex[:8]}"
    src = airflow.dags / "scripts" / name
    shutil.copytree(TEMPLATE / "src", src)
    salt = f"\n# {name}\n"  # keys of this test never meet another test's manifests
    for script in src.glob("*/*.py"):
        script.write_text(script.read_text() + salt)
    raw = airflow.blobstore / "inputs" / name / "raw.txt"
    raw.parent.mkdir(parents=True)
    raw.write_text("alpha\nbeta\ngamma\n")
    made = ReusePipeline(airflow, name, src, raw, tmp_path / "counter.txt", tmp_path / "hang.flag")
    text = (
        (TEMPLATE / "pipeline.py.tmpl")
        .read_text()
        .format(
            dag_id=name,
            input_path=f"inputs/{name}/raw.txt",
            counter=str(made.counter),
            hang_flag=str(made.hang_flag),
            folder=f"scripts/{name}",
        )
    )
    (airflow.dags / f"{name}.py").write_text(text)
    return made


def _states(tis: dict) -> dict[str, str]:
    return {task: ti["state"] for task, ti in tis.items()}


def test_unchanged_second_run_executes_no_script(pipeline):
    first, tis = pipeline.run()
    assert pipeline.ran() == ["clean", "featurize", "train"]
    assert _states(tis)["mlpipelines_reuse"] == "success"
    second, tis = pipeline.run()
    assert pipeline.ran() == []
    assert _states(tis) == {
        "mlpipelines_reuse": "success",
        "clean": "skipped",
        "featurize": "skipped",
        "train": "skipped",
    }
    sensor_log = pipeline.log(second, "mlpipelines_reuse")
    assert f"reused from run {first['dag_run_id']}" in sensor_log
    reused = pipeline.airflow.api.xcom(
        pipeline.dag_id, second["dag_run_id"], "mlpipelines_reuse", "reuse"
    )
    assert reused["reused"]["train"]["metrics"] == {"total": 14}
    assert reused["reused"]["train"]["run_id"] == first["dag_run_id"]
    assert reused["decisions"]["clean"]["decision"] == "reuse"


def test_changed_script_reruns_it_and_what_is_downstream_only(pipeline):
    pipeline.run()
    pipeline.ran()
    script = pipeline.src / "featurize" / "featurize.py"
    script.write_text(script.read_text().replace("str(len(row))", "str(2 * len(row))"))
    run, tis = pipeline.run()
    assert pipeline.ran() == ["featurize", "train"]
    assert _states(tis)["clean"] == "skipped"
    assert "source files changed: changed featurize.py" in pipeline.log(run, "featurize")
    assert "input features's data changed" in pipeline.log(run, "train")


def test_changed_input_bytes_at_the_same_path_rerun_its_consumers(pipeline):
    pipeline.run()
    pipeline.ran()
    pipeline.raw.write_text("alpha\nbeta\ndelta!\n")
    run, _ = pipeline.run()
    assert pipeline.ran() == ["clean", "featurize", "train"]
    assert "input raw's data changed" in pipeline.log(run, "mlpipelines_reuse")


def test_upstream_rerun_with_identical_bytes_leaves_consumers_reused(pipeline):
    pipeline.run()
    pipeline.ran()
    script = pipeline.src / "clean" / "clean.py"
    script.write_text(script.read_text() + "\n# a comment changes the code, not the output\n")
    run, tis = pipeline.run()
    assert pipeline.ran() == ["clean"]
    assert _states(tis) == {
        "mlpipelines_reuse": "success",
        "clean": "success",
        "featurize": "skipped",
        "train": "skipped",
    }
    assert "reused from run" in pipeline.log(run, "featurize")


def test_ignored_file_change_reruns_nothing_and_never_reaches_the_work_dir(pipeline):
    pipeline.run()
    assert pipeline.counter.read_text().splitlines()[0] == "clean notes=False"
    pipeline.ran()
    (pipeline.src / "clean" / "notes.txt").write_text("edited notes\n")
    pipeline.run()
    assert pipeline.ran() == []


def test_regenerate_outputs_from_conf_runs_everything(pipeline):
    pipeline.run()
    pipeline.ran()
    run, _ = pipeline.run({"regenerate_outputs": True})
    assert pipeline.ran() == ["clean", "featurize", "train"]
    assert "regenerate_outputs=true" in pipeline.log(run, "mlpipelines_reuse")


def test_corrupted_manifest_is_ignored_with_a_warning(pipeline):
    pipeline.run()
    pipeline.ran()
    for manifest in pipeline.manifests():
        manifest.write_text("{ not json")
    run, _ = pipeline.run()
    assert pipeline.ran() == ["clean", "featurize", "train"]
    assert "is damaged" in pipeline.log(run, "mlpipelines_reuse")


def test_two_runs_triggered_together_execute_each_script_once(pipeline):
    api = pipeline.airflow.api
    api.wait_for_dag(pipeline.dag_id)
    runs = [api.trigger(pipeline.dag_id) for _ in range(2)]
    finals = [api.wait_for_run(pipeline.dag_id, r["dag_run_id"], timeout=300) for r in runs]
    assert [f["state"] for f in finals] == ["success", "success"]
    assert sorted(pipeline.ran()) == ["clean", "featurize", "train"]


def test_step_killed_while_writing_leaves_no_manifest_and_its_retry_recomputes(pipeline):
    """A killed task is an infrastructure failure: no manifest of the half-done attempt, and
    the step's retry (its own key's marker taken over) computes it whole."""
    api = pipeline.airflow.api
    api.wait_for_dag(pipeline.dag_id)
    pipeline.hang_flag.write_text("hang")
    run = api.trigger(pipeline.dag_id)
    pids = Path(str(pipeline.hang_flag) + ".pids")
    deadline = time.monotonic() + 120
    while not pids.exists():
        assert time.monotonic() < deadline, "clean never started"
        time.sleep(0.3)
    script_pid, task_pid = (int(p) for p in pids.read_text().split())
    os.kill(task_pid, signal.SIGKILL)
    os.kill(script_pid, signal.SIGKILL)
    assert pipeline.manifests() == []
    pipeline.hang_flag.unlink()
    final = api.wait_for_run(pipeline.dag_id, run["dag_run_id"], timeout=420)
    assert final["state"] == "success"
    tis = {ti["task_id"]: ti for ti in api.task_instances(pipeline.dag_id, run["dag_run_id"])}
    assert tis["clean"]["try_number"] == 2
    assert pipeline.ran()[-3:] == ["clean", "featurize", "train"]
    assert len(pipeline.manifests()) == 3


def test_user_task_after_a_fully_reused_group_sees_success_and_the_outputs(airflow):
    airflow.run("e2e_task_group")
    run, tis = airflow.run("e2e_task_group")
    assert run["state"] == "success", tis
    assert _states(tis) == {
        "start": "success",
        "ml.mlpipelines_reuse": "success",
        "ml.echo": "skipped",
        "ml.done": "success",
        "after": "success",
    }
    received = airflow.api.xcom("e2e_task_group", run["dag_run_id"], "after", "return_value")
    assert received["argv"][0] == "inside-group"
