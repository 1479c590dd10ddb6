"""Reuse keys: portable across checkouts, blind to unused parameters, explained when changed."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import pytest

from mlpipelines import Pipeline, PipelineData, PipelineParameter, PythonScriptStep, Workspace
from mlpipelines.model.planning import plan_pipeline
from mlpipelines.records import StepDefinition
from mlpipelines.reuse.decision import check_reuse
from mlpipelines.reuse.explain import explain_changes
from mlpipelines.reuse.keys import reuse_components, reuse_key
from mlpipelines.reuse.store import ReuseStore
from mlpipelines.snapshot import take_snapshot


def _definition(source: Path, arguments: list, params: dict | None = None) -> StepDefinition:
    ws = Workspace.current()
    out = PipelineData("out", datastore=ws.get_default_datastore())
    step = PythonScriptStep(
        name="s",
        script_name="run.py",
        source_directory=str(source),
        arguments=[*arguments, "--out", out],
        outputs=[out],
        params=params or {},
    )
    return plan_pipeline(Pipeline(ws, [step])).tasks[0].definition


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    folder = tmp_path / "one" / "src"
    folder.mkdir(parents=True)
    (folder / "run.py").write_text("print('hi')\n")
    (folder / "lib.py").write_text("X = 1\n")
    return folder


def _key(definition: StepDefinition, params: dict, fingerprints: dict | None = None) -> str:
    snapshot = take_snapshot(definition.source_directory)
    return reuse_key(reuse_components(definition, params, snapshot.digest, fingerprints or {}))


def test_same_code_in_two_checkouts_gives_the_same_key(checkout, tmp_path):
    other = tmp_path / "elsewhere" / "deeper" / "src"
    shutil.copytree(checkout, other)
    alpha = PipelineParameter("alpha", 0.5)
    first = _definition(checkout, ["--alpha", alpha])
    second = _definition(other, ["--alpha", alpha])
    assert first.source_directory != second.source_directory
    assert _key(first, {"alpha": 0.5}) == _key(second, {"alpha": 0.5})
    components = reuse_components(first, {"alpha": 0.5}, "d", {})
    assert str(tmp_path) not in repr(components)


def test_a_parameter_the_step_does_not_use_never_changes_its_key(checkout):
    definition = _definition(checkout, ["--alpha", PipelineParameter("alpha", 0.5)])
    assert _key(definition, {"alpha": 0.5, "unused": 1}) == _key(
        definition, {"alpha": 0.5, "unused": 2}
    )
    assert _key(definition, {"alpha": 0.5}) != _key(definition, {"alpha": 0.7})


def test_params_and_input_fingerprints_enter_the_key(checkout):
    definition = _definition(checkout, [], params={"mode": PipelineParameter("mode", "fast")})
    assert _key(definition, {"mode": "fast"}) != _key(definition, {"mode": "slow"})
    assert _key(definition, {"mode": "fast"}, {"x": "a"}) == _key(
        definition, {"mode": "fast"}, {"x": "a"}
    )


def test_explanation_names_the_changed_file_argument_and_input(checkout):
    alpha = PipelineParameter("alpha", 0.5)
    definition = _definition(checkout, ["--alpha", alpha])
    before = take_snapshot(checkout)
    old = reuse_components(definition, {"alpha": 0.5}, before.digest, {"raw": "fp1"})
    (checkout / "lib.py").write_text("X = 2\n")
    after = take_snapshot(checkout)
    new = reuse_components(definition, {"alpha": 0.7}, after.digest, {"raw": "fp2"})
    reasons = explain_changes(old, new, before.files, after.files)
    assert "source files changed: changed lib.py" in reasons
    assert "argument 2 changed from '0.5' to '0.7'" in reasons


def test_check_reuse_explains_a_first_run_and_then_finds_nothing_without_manifest(checkout):
    definition = _definition(checkout, [])
    store = ReuseStore(definition.default_datastore)
    dag = f"dag-{uuid.uuid4().hex[:8]}"  # step records are per DAG: no other test's
    check = check_reuse(definition, {}, {}, store, dag, "s")
    assert not check.reused
    assert check.reasons == ["no manifest for this key, and no earlier run of this step"]
    store.record_step(dag, "s", check.key, check.components, check.snapshot.files)
    (checkout / "run.py").write_text("print('changed')\n")
    again = check_reuse(definition, {}, {}, store, dag, "s")
    assert again.key != check.key
    assert again.reasons == ["source files changed: changed run.py"]


def test_hash_paths_is_accepted_with_a_warning(checkout):
    with pytest.warns(UserWarning, match="hash_paths is ignored; every file"):
        step = PythonScriptStep(
            name="s", script_name="run.py", source_directory=str(checkout), hash_paths=["run.py"]
        )
    assert step.hash_paths == ["run.py"]


def test_a_databricks_steps_task_and_cluster_enter_its_key():
    from mlpipelines import DatabricksStep

    def key(**kwargs):
        step = DatabricksStep(
            name="db",
            spark_version="14.3.x-scala2.12",
            node_type="Standard_DS3_v2",
            num_workers=1,
            **kwargs,
        )
        definition = plan_pipeline(Pipeline(Workspace.current(), [step])).tasks[0].definition
        return reuse_key(reuse_components(definition, {}, None, {}))

    assert key(notebook_path="/a") != key(notebook_path="/b")
    assert key(notebook_path="/a") == key(notebook_path="/a")
    assert key(notebook_path="/a") != key(notebook_path="/a", run_name="other")
