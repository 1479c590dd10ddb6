"""Endpoints, drafts and schedules in the notebooks' idiom, as far as no run is needed:
renaming an endpoint and choosing its default by pipeline, keeping and editing drafts, and
what a datastore-watching schedule refuses before it deploys anything."""

from __future__ import annotations

import json

import pytest

from mlpipelines.azureml.core import Datastore, Workspace
from mlpipelines.azureml.data.datapath import DataPath, DataPathComputeBinding
from mlpipelines.azureml.pipeline.core import (
    Pipeline,
    PipelineDraft,
    PipelineEndpoint,
    PipelineParameter,
    PublishedPipeline,
)
from mlpipelines.azureml.pipeline.core.schedule import Schedule, ScheduleRecurrence
from mlpipelines.azureml.pipeline.steps import PythonScriptStep
from mlpipelines.client.schedule_specs import TEST_POLL_SECONDS_ENV, poll_seconds
from mlpipelines.errors import UserErrorException
from mlpipelines.publishing.experiments import experiment_dag_ids, note_experiment
from mlpipelines.publishing.records import RecordStore
from mlpipelines.translate.spec import plan_to_spec, specs_folder


@pytest.fixture
def ws(tmp_path):
    # Nothing listens on port 9: a test that reaches Airflow fails loudly.
    return Workspace(airflow_url="http://127.0.0.1:9", home=str(tmp_path / "home"))


def _train_pipeline(ws, folder, step_name="Training_Step"):
    folder.mkdir(exist_ok=True)
    (folder / "train.py").write_text("print('train')\n")
    step = PythonScriptStep(
        name=step_name,
        script_name="train.py",
        source_directory=str(folder),
        arguments=["--alpha", PipelineParameter("alpha", default_value=0.5)],
    )
    return Pipeline(workspace=ws, steps=[step])


def _published(ws, pipeline_id, version, dag_id=None):
    record = {
        "id": pipeline_id,
        "name": "train",
        "version": version,
        "dag_id": dag_id or f"train__v{version}",
        "status": "Active",
        "created": float(version),
    }
    RecordStore.published(ws).put(record)
    return PublishedPipeline(ws, record)


def test_endpoint_set_name_set_default_and_versions_by_pipeline(ws):
    first, second = _published(ws, "p1", "1"), _published(ws, "p2", "2")
    RecordStore.endpoints(ws).put(
        {
            "id": "e1",
            "name": "PipelineEndpointTest",
            "status": "Active",
            "created": 1.0,
            "versions": [
                {"version": "0", "pipeline_id": "p1"},
                {"version": "1", "pipeline_id": "p2"},
            ],
            "default_version": "0",
        }
    )
    RecordStore.endpoints(ws).put(
        {
            "id": "e2",
            "name": "Other",
            "status": "Active",
            "created": 2.0,
            "versions": [],
            "default_version": "0",
        }
    )
    pipeline_endpoint_by_name = PipelineEndpoint.get(workspace=ws, name="PipelineEndpointTest")
    pipeline_endpoint_by_name.set_default(second)
    assert pipeline_endpoint_by_name.get_default_version() == "1"
    pipeline_endpoint_by_name.set_default(first)
    assert pipeline_endpoint_by_name.get_pipeline().id == "p1"
    with pytest.raises(UserErrorException, match="not a version of pipeline endpoint"):
        pipeline_endpoint_by_name.set_default(_published(ws, "p3", "3"))

    versions = pipeline_endpoint_by_name.get_all_versions()
    assert [(ve.version, ve.pipeline.id) for ve in versions] == [("0", "p1"), ("1", "p2")]
    assert [p.id for p in pipeline_endpoint_by_name.get_all_pipelines(active_only=True)] == [
        "p1",
        "p2",
    ]

    pipeline_endpoint_by_name.set_name(name="NewName")
    assert PipelineEndpoint.get(workspace=ws, name="NewName").id == "e1"
    with pytest.raises(UserErrorException, match="named 'Other' exists"):
        pipeline_endpoint_by_name.set_name("Other")
    assert [e.name for e in PipelineEndpoint.get_all(workspace=ws, active_only=True)] == [
        "NewName",
        "Other",
    ]
    rest_endpoint_id = pipeline_endpoint_by_name.endpoint
    assert rest_endpoint_id == f"{ws.airflow_url}/mlpipelines/endpoints/Id/e1"
    # The sample builds the by-name URL from the by-id one.
    by_name = rest_endpoint_id.split("Id", 1)[0] + "Name?name=" + pipeline_endpoint_by_name.name
    assert by_name == f"{ws.airflow_url}/mlpipelines/endpoints/Name?name=NewName"


def test_drafts_create_list_get_update(ws, tmp_path):
    pipeline = _train_pipeline(ws, tmp_path / "src")
    pipeline_draft = PipelineDraft.create(
        ws,
        name="TestPipelineDraft",
        description="draft description",
        experiment_name="helloworld",
        pipeline=pipeline,
        continue_on_step_failure=True,
        tags={"dev": "true"},
        properties={"train": "value"},
    )
    created_pipeline_draft_id = pipeline_draft.id
    PipelineDraft.create(ws, pipeline, name="Untagged", experiment_name="other")
    assert [d.name for d in PipelineDraft.list(ws, tags={"dev": "true"})] == ["TestPipelineDraft"]
    assert len(PipelineDraft.list(ws)) == 2

    pipeline_draft = PipelineDraft.get(ws, id=created_pipeline_draft_id)
    assert (pipeline_draft.experiment_name, pipeline_draft.properties) == (
        "helloworld",
        {"train": "value"},
    )
    held = pipeline_draft._spec()
    new_pipeline = _train_pipeline(ws, tmp_path / "src", "New_Training_Step")
    pipeline_draft.update(
        name="UpdatedPipelineDraft", description="has updated train step", pipeline=new_pipeline
    )
    again = PipelineDraft.get(ws, id=created_pipeline_draft_id)
    assert again.name == "UpdatedPipelineDraft"
    assert [t["task_id"] for t in again._spec()["tasks"]] != [t["task_id"] for t in held["tasks"]]
    with pytest.raises(UserErrorException, match=r"unknown parameter.*'alpah'"):
        again.update(pipeline_parameters={"alpah": 1})
    again.update(pipeline_parameters={"alpha": "0.9"})
    assert PipelineDraft.get(ws, id=again.id).pipeline_parameters == {"alpha": 0.9}
    again.delete()
    assert [d.name for d in PipelineDraft.list(ws)] == ["Untagged"]


def test_experiments_named_in_runs_are_listed(ws):
    assert ws.experiments == {} and experiment_dag_ids("default_pipeline", ws) == [
        "default_pipeline"
    ]
    note_experiment("default_pipeline", "train__v1", ws)
    note_experiment("default_pipeline", "train__v2", ws)
    note_experiment("default_pipeline", "train__v1", ws)
    note_experiment("submitted", "submitted", ws)
    assert sorted(ws.experiments) == ["default_pipeline", "submitted"]
    assert ws.experiments["default_pipeline"].name == "default_pipeline"
    assert experiment_dag_ids("default_pipeline", ws) == ["train__v1", "train__v2"]


def test_a_datastore_schedule_checks_its_arguments_before_deploying(ws, tmp_path, monkeypatch):
    monkeypatch.delenv(TEST_POLL_SECONDS_ENV, raising=False)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "score.py").write_text("print('score')\n")
    input_data = PipelineParameter("input_data", DataPath(ws.get_default_datastore(), "file/path"))
    bound = (input_data, DataPathComputeBinding(mode="mount"))
    step = PythonScriptStep(
        name="score",
        script_name="score.py",
        source_directory=str(tmp_path / "src"),
        arguments=[bound],
        inputs=[bound],
    )
    spec = plan_to_spec(Pipeline(ws, [step]).plan("train__v1"), "train__v1")
    specs_folder(ws).mkdir(parents=True)
    (specs_folder(ws) / "train__v1.json").write_text(json.dumps(spec))
    pub_pipeline_id = _published(ws, "p1", "1").id
    datastore = Datastore(workspace=ws, name="workspaceblobstore")
    common = {"pipeline_id": pub_pipeline_id, "experiment_name": "Schedule-run-sample"}

    with pytest.raises(UserErrorException, match="whole minutes, at least 1; not 0"):
        Schedule.create(ws, "watch", datastore=datastore, polling_interval=0, **common)
    with pytest.raises(
        UserErrorException, match=r"'input' is not a DataPath parameter.*input_data"
    ):
        Schedule.create(
            ws, "watch", datastore=datastore, data_path_parameter_name="input", **common
        )
    with pytest.raises(UserErrorException, match="either recurrence"):
        Schedule.create(
            ws,
            "both",
            datastore=datastore,
            recurrence=ScheduleRecurrence(frequency="Day", interval=1),
            **common,
        )
    with pytest.raises(UserErrorException, match="unknown parameter"):
        Schedule.create(ws, "watch", datastore=datastore, pipeline_parameters={"beta": 1}, **common)
    assert sorted(p.name for p in specs_folder(ws).iterdir()) == ["train__v1.json"]
    assert RecordStore.schedules(ws).all() == []
    assert poll_seconds(5) == 300.0
    monkeypatch.setenv(TEST_POLL_SECONDS_ENV, "2")
    assert poll_seconds(5) == 2.0
