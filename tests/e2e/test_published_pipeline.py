"""Publishing: a versioned DAG per published pipeline, listed, run, disabled and enabled."""

from __future__ import annotations

import pytest

from mlpipelines.azureml.core import Workspace
from mlpipelines.azureml.pipeline.core import (
    Pipeline,
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

    with pytest.raises(UserErrorException, match="'word_count' already has version 2"):
        pipeline.publish("word_count", version="2")
    assert pipeline.publish("word_count").version == "3"
    # An endpoint given a Pipeline publishes it as the next version of the endpoint's name.
    endpoint = PipelineEndpoint.publish(ws, "word_count", "counts", pipeline)
    assert endpoint.get_pipeline().version == "4"
    assert len({p.dag_id for p in PublishedPipeline.list(ws, False) if p.name == "word_count"}) == 3
