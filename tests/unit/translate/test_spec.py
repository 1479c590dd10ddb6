"""Pipeline specs: a plan to JSON and back, exactly; rendered by the loader like the original."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlpipelines import Pipeline, PipelineData, PipelineParameter, PythonScriptStep, Workspace
from mlpipelines.model.planning import plan_pipeline
from mlpipelines.translate.spec import plan_to_spec, spec_digest, spec_to_plan
from mlpipelines.translate.spec_loader import LOADER_DAG_ID, load_spec_dags


@pytest.fixture
def pipeline(tmp_path: Path) -> Pipeline:
    (tmp_path / "a.py").write_text("print(1)\n")
    data = PipelineData("d")
    alpha = PipelineParameter("alpha", 0.5)
    _one = PythonScriptStep(  # joins the pipeline as the producer of `d`
        name="one",
        script_name="a.py",
        source_directory=str(tmp_path),
        arguments=["--out", data, "--alpha", alpha],
        outputs=[data],
    )
    two = PythonScriptStep(
        name="two",
        script_name="a.py",
        source_directory=str(tmp_path),
        arguments=["--in", data],
        inputs=[data],
        allow_reuse=False,
    )
    return Pipeline(Workspace.current(), [two], description="demo")


def test_spec_round_trips_exactly_through_json(pipeline):
    plan = plan_pipeline(pipeline, "demo")
    spec = json.loads(json.dumps(plan_to_spec(plan, "demo", tags=["x"])))
    assert spec_to_plan(spec) == plan
    assert spec["dag_settings"] == {"tags": ["x"]}
    assert spec_digest(spec) == spec_digest(json.loads(json.dumps(spec)))


def test_spec_of_another_version_is_refused(pipeline):
    spec = plan_to_spec(plan_pipeline(pipeline, "demo"), "demo")
    spec["spec_version"] = 99
    with pytest.raises(ValueError, match="spec version 99"):
        spec_to_plan(spec)


def test_loader_renders_each_stored_spec_like_the_pipeline_itself(pipeline, tmp_path):
    folder = tmp_path / "specs"
    folder.mkdir()
    spec = plan_to_spec(plan_pipeline(pipeline, "demo"), "demo")
    (folder / "demo.json").write_text(json.dumps(spec))
    (folder / "broken.json").write_text("{ not json")
    namespace: dict = {}
    assert load_spec_dags(namespace, folder) == ["demo"]
    dags = {d.dag_id: d for d in namespace.values()}
    direct = pipeline.to_dag("demo")
    assert set(dags) == {LOADER_DAG_ID, "demo"}
    assert set(dags["demo"].task_ids) == set(direct.task_ids)
    assert f"spec:{spec_digest(spec)}" in dags["demo"].tags
    assert dags["demo"].get_task("two").upstream_task_ids == {"one"}
