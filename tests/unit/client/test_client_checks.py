"""What the client refuses before it uploads, stores or triggers anything (misspelt parameter
names), and how a published version that already exists is published again."""

from __future__ import annotations

import pytest

from mlpipelines import Experiment, Pipeline, PipelineParameter, PythonScriptStep, Workspace
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


def test_publishing_an_existing_version_again_makes_a_new_pipeline_with_its_own_dag(ws):
    # Re-running a notebook publishes the same name and version again: as in Azure ML, that
    # is a new published pipeline, and here a DAG of its own.
    from mlpipelines.client.published_pipeline import _published_dag_id, choose_version

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
    assert choose_version(ws, "train_model", "3") == "3"
    assert _published_dag_id(ws, "train_model", "3") == "train_model__v3__2"
    assert choose_version(ws, "train_model", None) == "4"
    assert _published_dag_id(ws, "train_model", "4") == "train_model__v4"
    with pytest.raises(UserErrorException, match="cannot name a DAG"):
        _published_dag_id(ws, "x" * 300, "1")
