"""The step definition: planned once, read by every layer, stored as versioned JSON."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlpipelines import Pipeline, PipelineData, PipelineParameter, PythonScriptStep, Workspace
from mlpipelines.model.analytics import AdlaStep
from mlpipelines.model.data import DataReference
from mlpipelines.model.databricks import DatabricksStep
from mlpipelines.model.planning import plan_pipeline
from mlpipelines.model.transfer_step import DataTransferStep
from mlpipelines.records import (
    DataReferenceInput,
    PipelineDataInput,
    PipelineDataOutput,
    StepDefinition,
)
from mlpipelines.records.step_kinds import STEP_KINDS, step_kind
from mlpipelines.reuse.keys import reuse_components


@pytest.fixture
def plan(tmp_path: Path):
    (tmp_path / "a.py").write_text("print(1)\n")
    (tmp_path / "q.sql").write_text("SELECT 1;\n")
    ws = Workspace.current()
    store = ws.get_default_datastore()
    a, b, c = (PipelineData(n, datastore=store) for n in "abc")
    alpha = PipelineParameter("alpha", default_value=0.5)
    raw = DataReference(store, "raw", "raw")
    steps = [
        PythonScriptStep(
            name="p",
            script_name="a.py",
            source_directory=str(tmp_path),
            arguments=["--x", alpha, "--out", a, "--in", raw],
            inputs=[raw],
            outputs=[a],
            params={"m": alpha},
        ),
        AdlaStep(
            name="q",
            script_name="q.sql",
            source_directory=str(tmp_path),
            inputs=[a],
            outputs=[b],
            degree_of_parallelism=2,
        ),
        DatabricksStep(
            name="d",
            notebook_path="/x",
            inputs=[b],
            outputs=[c],
            existing_cluster_id="c1",
            notebook_params={"z": alpha, "data": b},
        ),
        DataTransferStep(
            name="t",
            source_data_reference=c,
            destination_data_reference=DataReference(store, "dest", "dest"),
        ),
    ]
    return plan_pipeline(Pipeline(ws, steps))


def test_every_kind_round_trips_through_json(plan) -> None:
    for task in plan.tasks:
        data = task.definition.to_json()
        assert data["schema"] == 1
        assert StepDefinition.from_json(data) == task.definition


def test_inputs_are_typed_by_kind(plan) -> None:
    first, second = plan.tasks[0].definition, plan.tasks[1].definition
    (raw,) = first.inputs
    assert isinstance(raw, DataReferenceInput) and raw.path_on_datastore == "raw"
    (a,) = second.inputs
    assert isinstance(a, PipelineDataInput) and (a.producer, a.data) == ("p", "a")
    assert isinstance(first.outputs[0], PipelineDataOutput)


def test_a_definition_stored_before_the_schema_field_still_reads(plan) -> None:
    data = plan.tasks[0].definition.to_json()
    del data["schema"]
    for output in data["outputs"]:
        del output["kind"]  # version-1 documents named no kind for PipelineData outputs
    assert StepDefinition.from_json(data) == plan.tasks[0].definition


def test_a_newer_schema_is_refused_naming_the_step(plan) -> None:
    data = {**plan.tasks[0].definition.to_json(), "schema": 99}
    with pytest.raises(ValueError, match="step 'p': definition schema 99 is newer"):
        StepDefinition.from_json(data)


def test_a_stored_definition_keys_as_the_planned_one(plan) -> None:
    for task in plan.tasks:
        stored = StepDefinition.from_json(task.definition.to_json())
        args = ({"alpha": 0.7}, "digest", {"a": "fa", "raw": "fr"})
        assert reuse_components(stored, *args) == reuse_components(task.definition, *args)


def test_each_kind_keys_what_only_it_has(plan) -> None:
    engines = {t.task_id: step_kind(t.kind).engine(t.definition) for t in plan.tasks}
    assert engines["p"] is None and engines["q"] is None
    assert engines["d"]["existing_cluster_id"] == "c1" and "conn_id" not in engines["d"]
    assert engines["t"]["destination"]["path"] == "dest"


def test_an_unknown_kind_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(ValueError, match="unknown step kind 'bogus'") as err:
        step_kind("bogus")
    for name in STEP_KINDS:
        assert name in str(err.value)


def test_every_registered_operator_and_runner_imports() -> None:
    for kind in STEP_KINDS.values():
        assert kind.operator_class().__name__.endswith("Operator")
        assert callable(kind.runner_function())


def test_a_step_of_a_kind_nobody_registered_is_refused_at_definition(tmp_path: Path) -> None:
    from mlpipelines.errors import PipelineValidationError

    class HalfAddedStep(PythonScriptStep):
        kind = "half_added"

    (tmp_path / "a.py").write_text("print(1)\n")
    step = HalfAddedStep(name="new", script_name="a.py", source_directory=str(tmp_path))
    with pytest.raises(PipelineValidationError) as err:
        Pipeline(Workspace.current(), [step]).validate()
    assert "unknown-step-kind" in err.value.kinds
    assert "HalfAddedStep has kind 'half_added'" in str(err.value)
