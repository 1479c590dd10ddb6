"""Publishing: a versioned DAG per published pipeline, listed, run, disabled and enabled."""

from __future__ import annotations

import pytest

from mlpipelines.azureml.core import Workspace
from mlpipelines.azureml.pipeline.core import (
    Pipeline,
    PipelineDraft,
    PipelineEndpoint,
    PipelineParameter,
    PublishedPipeline,
)
from mlpipelines.azureml.pipeline.steps import PythonScriptStep
from mlpipelines.errors import UserErrorException

pytestmark = pytest.mark.e2e

SCRIPT = """import sys
from mlpipelines import Run
Run.get_context().log("size", len(sys.argv[sys.argv.index("--word") + 1]))
"""


def test_publish_list_submit_disable_enable(airflow, tmp_path):
    (tmp_path / "count.py").write_text(SCRIPT)
    ws = Workspace.from_config(airflow.home / "config.json")
    word = PipelineParameter(name="word", default_value="abc")
    step = PythonScriptStep(
        name="count",
        script_name="count.py",
        source_directory=str(tmp_path),
        arguments=["--word", word],
        allow_reuse=False,
    )
    pipeline = Pipeline(ws, [step])
    published = pipeline.publish("word_count", description="counts", version="2")
    assert (published.name, published.version, published.status) == ("word_count", "2", "Active")
    assert published.dag_id == "word_count__v2"
    assert published.endpoint == f"{ws.airflow_url}/mlpipelines/pipelines/{published.id}"
    assert PublishedPipeline.get(ws, id=published.id).dag_id == "word_count__v2"
    assert PublishedPipeline.get(ws, name="word_count").id == published.id

    run = published.submit(ws, "counting", pipeline_parameters={"word": "; rm -rf / $(id)"})
    assert run.wait_for_completion(show_output=False, timeout_seconds=300) == "Finished"
    assert run.find_step_run("count")[0].get_metrics() == {"size": len("; rm -rf / $(id)")}

    published.disable()
    assert published.id not in [p.id for p in PublishedPipeline.list(ws)]
    assert published.id in [p.id for p in PublishedPipeline.list(ws, active_only=False)]
    assert airflow.api.get_dag("word_count__v2")["is_paused"] is True
    with pytest.raises(UserErrorException, match="disabled"):
        PublishedPipeline.get(ws, id=published.id).submit(ws, "counting")

    PublishedPipeline.get(ws, id=published.id).enable()
    again = PublishedPipeline.get(ws, id=published.id)
    assert again.status == "Active" and airflow.api.get_dag("word_count__v2")["is_paused"] is False
    assert again.submit(ws, "counting").wait_for_completion(show_output=False) == "Finished"

    # Re-running a notebook publishes the same name and version again: a new pipeline.
    rerun = pipeline.publish("word_count", description="counts", version="2")
    assert (rerun.version, rerun.dag_id) == ("2", "word_count__v2__2") and rerun.id != published.id
    assert PublishedPipeline.get(ws, name="word_count", version="2").id == rerun.id
    assert pipeline.publish("word_count").version == "3"
    # An endpoint given a Pipeline publishes it as the next version of the endpoint's name.
    endpoint = PipelineEndpoint.publish(ws, "word_count", "counts", pipeline)
    assert endpoint.get_pipeline().version == "4"
    assert len({p.dag_id for p in PublishedPipeline.list(ws, False) if p.name == "word_count"}) == 4
    with pytest.raises(UserErrorException) as again:
        PipelineEndpoint.publish(ws, "word_count", "counts", pipeline)
    assert "PipelineEndpoint.get(ws, name='word_count').add_default(pipeline)" in str(again.value)


def test_pipeline_draft_submit_run_and_publish(airflow, tmp_path):
    (tmp_path / "count.py").write_text(SCRIPT)
    ws = Workspace.from_config(airflow.home / "config.json")
    word = PipelineParameter(name="word", default_value="abc")
    train_step = PythonScriptStep(
        name="count",
        script_name="count.py",
        source_directory=str(tmp_path),
        arguments=["--word", word],
        allow_reuse=False,
    )
    pipeline_draft = PipelineDraft.create(
        ws,
        name="TestPipelineDraft",
        description="draft description",
        experiment_name="helloworld_draft",
        pipeline=Pipeline(workspace=ws, steps=[train_step]),
        pipeline_parameters={"word": "drafted"},
        tags={"dev": "true"},
    )
    pipeline_run = PipelineDraft.get(ws, id=pipeline_draft.id).submit_run()
    assert pipeline_run.wait_for_completion(show_output=False, timeout_seconds=300) == "Finished"
    assert pipeline_run.find_step_run("count")[0].get_metrics() == {"size": len("drafted")}
    assert (
        PipelineDraft.get(ws, pipeline_draft.id).last_submitted_pipeline_run_id == pipeline_run.id
    )

    published_pipeline = pipeline_draft.publish()
    assert (published_pipeline.name, published_pipeline.status) == ("TestPipelineDraft", "Active")
    assert airflow.api.get_dag(published_pipeline.dag_id)["is_paused"] is False
