"""What the client refuses before it uploads, stores or triggers anything: misspelt parameter
names and a published version that already exists."""

from __future__ import annotations

import json

import pytest

from mlpipelines import Experiment, Pipeline, PipelineParameter, PythonScriptStep, Workspace
from mlpipelines.client.published_pipeline import PublishedPipeline
from mlpipelines.errors import UserErrorException
from mlpipelines.publishing.records import RecordStore


@pytest.fixture
def ws(tmp_path):
    # Nothing listens on port 9: a test that reaches Airflow fails loudly.
    return Workspace(airflow_url="http://127.0.0.1:9", home=str(tmp_path / "home"))


@pytest.fixture
def pipeline(ws, tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "train.py").write_text("print('train')\n")
    alpha = PipelineParameter("alpha", default_value=0.5)
    step = PythonScriptStep(
        name="train",
        script_name="train.py",
        source_directory=str(tmp_path / "src"),
        arguments=["--alpha", alpha],
    )
    return Pipeline(ws, [step])


def _nothing_written(ws):
    return not ws.get_default_datastore().root.exists() or not any(
        ws.get_default_datastore().root.rglob("*")
    )


def test_submit_refuses_a_misspelt_parameter_before_uploading(ws, pipeline):
    with pytest.raises(UserErrorException, match=r"unknown parameter.*'alpah'.*takes: alpha"):
        Experiment(ws, "train").submit(pipeline, pipeline_parameters={"alpah": 0.8})
    with pytest.raises(UserErrorException, match="'alpha' must be of type number"):
        Experiment(ws, "train").submit(pipeline, pipeline_parameters={"alpha": "high"})
    assert _nothing_written(ws)


def test_publishing_an_existing_version_again_is_refused(ws, pipeline):
    RecordStore.published(ws).put(
        {
            "id": "p1",
            "name": "train_model",
            "version": "3",
            "dag_id": "train_model__v3",
            "status": "Active",
            "created": 1.0,
        }
    )
    with pytest.raises(UserErrorException, match="'train_model' already has version 3"):
        pipeline.publish("train_model", version="3")
    specs = ws.specs_root() / ".mlpipelines" / "specs"
    specs.mkdir(parents=True)
    (specs / "train.json").write_text(json.dumps({"dag_id": "train"}))
    with pytest.raises(UserErrorException, match="'train_model' already has version 3"):
        PublishedPipeline.publish_spec_of(ws, "train", "train_model", version=3)
    assert [p.name for p in specs.iterdir()] == ["train.json"]
    assert [r["id"] for r in RecordStore.published(ws).all()] == ["p1"]
