"""What the Airflow UI shows of a rendered pipeline: trigger-form fields, the DAG list's
description and tags, the loader DAG's labels, and a cleared form field at run time."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from airflow.serialization.serialized_objects import DagSerialization

from mlpipelines import (
    ComputeTarget,
    DataReference,
    Datastore,
    Pipeline,
    PipelineData,
    PipelineParameter,
    PythonScriptStep,
    Workspace,
)
from mlpipelines.cli.run_commands import checked_conf
from mlpipelines.model.compute import AmlCompute
from mlpipelines.operators.step import with_defaults
from mlpipelines.records.plan import ParamSpec, PipelinePlan
from mlpipelines.records.reserved import PARAM_DEFAULT_KEY
from mlpipelines.translate.params import dag_params
from mlpipelines.translate.render import render_dag
from mlpipelines.translate.spec import plan_to_spec, spec_to_plan
from mlpipelines.translate.spec_loader import LOADER_TAG, load_spec_dags


@pytest.fixture
def src(tmp_path: Path) -> Path:
    folder = tmp_path / "src"
    folder.mkdir()
    for name in ("prep.py", "train.py"):
        (folder / name).write_text("print('ok')\n", encoding="utf-8")
    return folder


def _pipeline(src: Path, description: str | None = None, target: str | None = None) -> Pipeline:
    ws = Workspace.current()
    alpha = PipelineParameter("alpha", 0.5, description="Regularisation strength")
    epochs = PipelineParameter("epochs", 3)
    label = PipelineParameter("label", "species")
    unused = PipelineParameter("unused", "x")
    prepared = PipelineData("prepared")
    raw = DataReference(Datastore(ws, "workspaceblobstore"), "raw", "datasets/iris")
    prep = PythonScriptStep(
        "prep.py",
        name="prep",
        inputs=[raw],
        outputs=[prepared],
        arguments=["--out", prepared, "--label", label],
        source_directory=str(src),
    )
    train = PythonScriptStep(
        "train.py",
        name="train",
        inputs=[prepared],
        arguments=["--in", prepared, "--alpha", alpha, "--epochs", epochs],
        params={"EPOCHS": epochs, "UNUSED": unused},
        source_directory=str(src),
        compute_target=target,
    )
    return Pipeline(ws, [prep, train], description=description)


def test_params_describe_themselves_and_only_those_without_default_are_required(
    src: Path,
) -> None:
    dag = _pipeline(src).to_dag("ui_params")
    alpha = dag.params.get_param("alpha")
    assert alpha.description == "Regularisation strength"
    # Airflow's form marks a field required exactly when its type does not admit null.
    assert alpha.schema["type"] == ["number", "null"]
    assert alpha.schema[PARAM_DEFAULT_KEY] == alpha.value == 0.5
    epochs = dag.params.get_param("epochs")
    assert epochs.description == "Pipeline parameter (integer), used by step(s): train."
    assert "used by step(s): prep." in dag.params.get_param("label").description
    assert dag.params.get_param("unused").description.endswith("used by step(s): train.")
    regenerate = dag.params.get_param("regenerate_outputs")
    assert regenerate.schema["type"] == ["boolean", "null"]
    assert "Run every step" in regenerate.description


def test_the_dag_survives_airflows_serialization(src: Path) -> None:
    """What the DAG processor stores and the API server and scheduler read back."""
    dag = _pipeline(src).to_dag("ui_serialized")
    again = DagSerialization.from_dict(DagSerialization.to_dict(dag))
    alpha = again.params.get_param("alpha")
    assert alpha.schema["type"] == ["number", "null"]
    assert alpha.description == "Regularisation strength"
    (outlet,) = again.get_task("prep").outlets
    assert outlet.name == "workspaceblobstore/pipelinedata/ui_serialized/*/prep/prepared"
    assert set(again.get_task("prep").extra_links) == {"Outputs", "Artifacts"}


def test_a_parameter_without_default_stays_required() -> None:
    plan = PipelinePlan((ParamSpec("label", None, "string"),), (), None)
    label = dag_params(plan)["label"]
    assert label.schema["type"] == "string" and PARAM_DEFAULT_KEY not in label.schema
    assert label.description == "Pipeline parameter (string)."


def test_a_cleared_field_takes_the_default_and_a_required_one_stays_empty(src: Path) -> None:
    plan = _pipeline(src).plan("ui_cleared")
    plan = replace(plan, params=(*plan.params, ParamSpec("required", None, "string")))
    dag = render_dag(plan, "ui_cleared")
    given = {"alpha": None, "epochs": 7, "required": None, "regenerate_outputs": None}
    assert with_defaults(given, dag.params) == {
        "alpha": 0.5,
        "epochs": 7,
        "required": None,
        "regenerate_outputs": False,
    }
    assert with_defaults({"other": None}, None) == {"other": None}


def test_the_cli_checks_conf_against_optional_params(src: Path) -> None:
    details = {
        "alpha": {"value": 0.5, "schema": {"type": ["number", "null"]}},
        "epochs": {"value": 3, "schema": {"type": ["integer", "null"]}},
    }
    assert checked_conf({"alpha": "0.25", "epochs": "4"}, details) == {"alpha": 0.25, "epochs": 4}
    with pytest.raises(Exception, match="epochs"):
        checked_conf({"epochs": "many"}, details)


def test_param_descriptions_survive_a_stored_spec(src: Path) -> None:
    plan = _pipeline(src).plan("ui_spec")
    again = spec_to_plan(plan_to_spec(plan, "ui_spec"))
    assert again.params == plan.params
    assert {p.name: p.description for p in again.params}["alpha"] == "Regularisation strength"


def test_dag_list_description_and_tags_come_from_the_pipeline(src: Path) -> None:
    ws = Workspace.current()
    ComputeTarget.create(ws, "gpu-cluster", AmlCompute.provisioning_configuration())
    described = _pipeline(src, description="Iris, end to end").to_dag("ui_described")
    assert described.description == "Iris, end to end"
    plain = _pipeline(src, target="gpu-cluster").to_dag("ui_plain", tags=["team-a"])
    assert plain.description == "ML pipeline of 2 steps: prep, train"
    assert plain.tags == {"PythonScriptStep", "compute:gpu-cluster", "mlpipelines", "team-a"}


def test_the_loader_dag_says_it_is_internal(tmp_path: Path) -> None:
    namespace: dict[str, object] = {}
    assert load_spec_dags(namespace, folder=tmp_path) == []
    (loader,) = namespace.values()
    assert LOADER_TAG in loader.tags and "mlpipelines" in loader.tags
    assert loader.description.startswith("Internal to mlpipelines")
    assert "internal" in loader.dag_display_name
    assert not loader.tasks
