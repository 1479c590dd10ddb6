"""A step task's extra links (outputs, artifacts) and what it tells lineage of a run."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from airflow.models.taskinstancekey import TaskInstanceKey
from airflow.sdk import DAG
from airflow.serialization.serialized_objects import DagSerialization

from mlpipelines.operators.databricks import DatabricksStepOperator
from mlpipelines.operators.parallel_run import ParallelRunPlanOperator
from mlpipelines.operators.python_script import PythonScriptStepOperator
from mlpipelines.operators.step_lineage import event_extra, input_uris, openlineage_name
from mlpipelines.operators.step_links import StepArtifactsLink, StepOutputsLink, outputs_url
from mlpipelines.records import DataReferenceInput, DatastoreSpec, OutputReference
from support.step_definitions import script_step

HOME = Path(os.environ["AIRFLOW_HOME"])
KEY = TaskInstanceKey("d", "train", "manual__2026-01-01T00:00:00+00:00", 1, -1)


def _ref(uri: str, path: str = "p") -> OutputReference:
    return OutputReference("workspaceblobstore", path, uri, DatastoreSpec("workspaceblobstore"))


def _operator(**inputs: DataReferenceInput) -> PythonScriptStepOperator:
    step = script_step("train", inputs=tuple(inputs.values()))
    with DAG("d", schedule=None):
        return PythonScriptStepOperator.for_step(task_id="train", step=step)


def test_outputs_url_is_the_output_or_the_folder_they_share() -> None:
    assert outputs_url([]) == ""
    assert outputs_url(["file:///s/pipelinedata/d/r/t/a"]) == "file:///s/pipelinedata/d/r/t/a"
    assert outputs_url(["file:///s/pd/d/r/t/a", "file:///s/pd/d/r/t/b"]) == "file:///s/pd/d/r/t"
    assert outputs_url(["az://c/pd/t/a", "az://c/pd/t/b"]) == "az://c/pd/t"
    assert outputs_url(["az://c/x", "s3://b/y"]) == "az://c/x"  # nothing shared: the first


def test_links_read_what_the_step_handed_on() -> None:
    op = _operator()
    assert StepOutputsLink().get_link(op, ti_key=KEY) == ""  # failed before any output
    op.published = {
        "model": _ref("file:///s/pd/d/r/train/model"),
        "report": _ref("file:///s/pd/d/r/train/report"),
    }
    assert StepOutputsLink().get_link(op, ti_key=KEY) == "file:///s/pd/d/r/train"
    artifacts = HOME / "mlpipelines" / "workspaceblobstore" / "artifacts" / "d"
    expected = (artifacts / "manual__2026-01-01T00_00_00_00_00" / "train").as_uri()
    assert StepArtifactsLink().get_link(op, ti_key=KEY) == expected
    op.reused_run_id = "an earlier run"
    assert StepArtifactsLink().get_link(op, ti_key=KEY) == ""  # it ran elsewhere


def test_the_ui_gets_each_kinds_links_from_the_serialized_dag() -> None:
    names = {
        cls: {link.name for link in cls.operator_extra_links}
        for cls in (PythonScriptStepOperator, DatabricksStepOperator, ParallelRunPlanOperator)
    }
    assert names[PythonScriptStepOperator] == {"Outputs", "Artifacts"}
    assert names[DatabricksStepOperator] == {"Outputs", "Artifacts", "Databricks run"}
    assert names[ParallelRunPlanOperator] == set()
    op = _operator()
    serialized = DagSerialization.to_dict(op.dag)["dag"]["tasks"][0]["__var"]
    assert set(serialized["_operator_extra_links"]) == {"Outputs", "Artifacts"}


def test_lineage_names_what_a_run_read_and_wrote(tmp_path: Path) -> None:
    ref = _ref("file:///s/pd/d/r/train/model", "pd/d/r/train/model")
    assert event_extra(ref.with_fingerprint("sha256:ab"), "run-1") == {
        "uri": "file:///s/pd/d/r/train/model",
        "datastore": "workspaceblobstore",
        "path": "pd/d/r/train/model",
        "fingerprint": "sha256:ab",
        "run_id": "run-1",
    }
    shared = DatastoreSpec("shared", "local", str(tmp_path))
    op = _operator(raw=DataReferenceInput("raw", shared, "iris/"))
    op.pulled = {("prep", "features"): _ref("file:///s/pd/d/r/prep/features")}
    assert input_uris(op) == ["file:///s/pd/d/r/prep/features", (tmp_path / "iris").as_uri()]
    assert openlineage_name("file:///s/x") == ("file", "/s/x")
    assert openlineage_name("abfs://box@acct.dfs.core.windows.net/a/b") == (
        "abfs://box@acct.dfs.core.windows.net",
        "a/b",
    )


def test_openlineage_gets_the_runs_datasets(tmp_path: Path) -> None:
    pytest.importorskip("airflow.providers.openlineage")
    op = _operator()
    op.pulled = {("prep", "features"): _ref("file:///s/pd/d/r/prep/features")}
    op.published = {"model": _ref("s3://bucket/pd/d/r/train/model")}
    lineage = op.get_openlineage_facets_on_complete(None)
    assert [(d.namespace, d.name) for d in lineage.inputs] == [("file", "/s/pd/d/r/prep/features")]
    assert [(d.namespace, d.name) for d in lineage.outputs] == [
        ("s3://bucket", "pd/d/r/train/model")
    ]
