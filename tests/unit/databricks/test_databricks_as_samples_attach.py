"""Databricks as the Azure ML sample attaches and uses it: a workspace named by resource group
and name only, the old SDK's cluster defaults, and libraries sent in the Jobs API's shape."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from airflow.providers.databricks.hooks.databricks import DatabricksHook

from mlpipelines.azureml.core import Workspace
from mlpipelines.azureml.core.compute import ComputeTarget, DatabricksCompute
from mlpipelines.azureml.core.databricks import (
    EggLibrary,
    MavenLibrary,
    PyPiLibrary,
    RCranLibrary,
)
from mlpipelines.azureml.core.runconfig import JarLibrary
from mlpipelines.azureml.exceptions import ComputeTargetException, UserErrorException
from mlpipelines.azureml.pipeline.core import Pipeline
from mlpipelines.azureml.pipeline.steps import DatabricksStep
from mlpipelines.errors import StepRunError
from mlpipelines.model.planning import plan_pipeline
from mlpipelines.records import DatabricksSettings, StepDefinition
from mlpipelines.reuse.keys import reuse_components, reuse_key
from mlpipelines.runtime.databricks import run_databricks_step
from mlpipelines.runtime.step_context import StepContext
from support.databricks_jobs_api import JobsApiStandIn

CONN_ID = "databricks_test"


def _definition(step: DatabricksStep) -> StepDefinition:
    [task] = plan_pipeline(Pipeline(workspace=Workspace.current(), steps=[step])).tasks
    return task.definition


def _run(step: DatabricksStep) -> dict[str, Any]:
    definition = _definition(step)
    ctx = StepContext(
        "samples", f"manual__{uuid.uuid4().hex[:8]}", definition.name, params={},
        pull_output=lambda producer, name: None,
    )  # fmt: skip
    hook = DatabricksHook(CONN_ID, retry_limit=1)
    run_databricks_step(definition, ctx, hook, polling_period_seconds=0.05)
    return definition.to_json()


def _jar_step(**libraries: Any) -> DatabricksStep:
    return DatabricksStep(
        name="DBJarInDBFS",
        num_workers=1,
        main_class_name="com.microsoft.aeva.Main",
        jar_params=["arg1"],
        run_name="DB_JAR_demo",
        compute_target=CONN_ID,
        allow_reuse=False,
        **libraries,
    )


def test_sample_step_runs_with_the_old_cluster_defaults_and_its_libraries(
    jobs_api: JobsApiStandIn,
):
    step = _jar_step(
        jar_libraries=[JarLibrary("dbfs:/train-db-dbfs.jar")],
        egg_libraries=[EggLibrary("dbfs:/mnt/libraries/library.egg")],
        pypi_libraries=[PyPiLibrary("beautifulsoup4"), PyPiLibrary("x==1", repo="https://i")],
        maven_libraries=[MavenLibrary("org.jsoup:jsoup:1.7.1", exclusions=["slf4j:slf4j"])],
        rcran_libraries=[RCranLibrary(package="ada", repo="http://cran.us.r-project.org")],
    )
    _run(step)

    [task] = jobs_api.submitted[0]["tasks"]
    assert task["new_cluster"] == {
        "spark_version": "4.0.x-scala2.11",
        "node_type_id": "Standard_D3_v2",
        "num_workers": 1,
    }
    assert task["spark_jar_task"] == {"main_class_name": "com.microsoft.aeva.Main",
                                      "parameters": ["arg1"]}  # fmt: skip
    assert task["libraries"] == [
        {"jar": "dbfs:/train-db-dbfs.jar"},
        {"egg": "dbfs:/mnt/libraries/library.egg"},
        {"pypi": {"package": "beautifulsoup4"}},
        {"pypi": {"package": "x==1", "repo": "https://i"}},
        {"maven": {"coordinates": "org.jsoup:jsoup:1.7.1", "exclusions": ["slf4j:slf4j"]}},
        {"cran": {"package": "ada", "repo": "http://cran.us.r-project.org"}},
    ]


def test_a_step_without_libraries_sends_none(jobs_api: JobsApiStandIn):
    spec = _run(_jar_step())["databricks"]
    assert "libraries" not in jobs_api.submitted[0]["tasks"][0]
    assert "libraries" not in spec, "steps without libraries keep their reuse keys"


def test_libraries_are_part_of_the_reuse_key():
    def key(step: DatabricksStep) -> str:
        return reuse_key(reuse_components(_definition(step), {}, None, {}))

    plain = key(_jar_step())
    with_pandas = key(_jar_step(pypi_libraries=[PyPiLibrary("pandas==2.2.3")]))
    with_numpy = key(_jar_step(pypi_libraries=[PyPiLibrary("numpy==2.1.0")]))
    assert len({plain, with_pandas, with_numpy}) == 3
    assert with_pandas == key(_jar_step(pypi_libraries=[PyPiLibrary("pandas==2.2.3")]))


def test_libraries_survive_the_stored_spec():
    settings = _definition(_jar_step(jar_libraries=[JarLibrary("dbfs:/a.jar")])).databricks
    assert settings is not None
    again = DatabricksSettings.from_json(settings.to_json())
    assert again.libraries == ({"jar": "dbfs:/a.jar"},)


@pytest.mark.parametrize(
    ("libraries", "says"),
    [
        ({"jar_libraries": [PyPiLibrary("pandas")]}, "jar_libraries holds PyPiLibrary"),
        ({"pypi_libraries": "pandas"}, "pypi_libraries must be a list of PyPiLibrary"),
        ({"jar_libraries": ["dbfs:/a.jar"]}, "takes JarLibrary objects only"),
    ],
)
def test_a_library_of_the_wrong_kind_names_the_step_and_argument(libraries, says):
    with pytest.raises(UserErrorException, match="DatabricksStep 'DBJarInDBFS'") as err:
        _jar_step(**libraries)
    assert says in str(err.value)


def test_an_empty_library_name_is_refused():
    with pytest.raises(UserErrorException, match="MavenLibrary: coordinates"):
        MavenLibrary("")


def test_the_stand_in_refuses_libraries_the_jobs_api_would(jobs_api: JobsApiStandIn):
    """The stand-in's check is what makes the tests above mean something."""
    step = _jar_step(jar_libraries=[JarLibrary("dbfs:/a.jar")])
    definition = _definition(step)
    assert definition.databricks is not None
    broken = DatabricksSettings.from_json(
        {**definition.databricks.to_json(), "libraries": [{"jar": "a", "egg": "b"}]}
    )
    ctx = StepContext("samples", "manual__x", definition.name, params={},
                      pull_output=lambda producer, name: None)  # fmt: skip
    bad = StepDefinition.from_json({**definition.to_json(), "databricks": broken.to_json()})
    with pytest.raises(StepRunError, match="exactly one of"):
        run_databricks_step(bad, ctx, DatabricksHook(CONN_ID, retry_limit=1), 0.05)
    assert jobs_api.submitted == []


def test_attach_as_the_sample_does_takes_the_host_from_databricks_host(monkeypatch):
    monkeypatch.setenv("DATABRICKS_HOST", "https://adb-42.7.azuredatabricks.net")
    ws = Workspace.current()
    config = DatabricksCompute.attach_configuration(
        resource_group="my-rg", workspace_name="my-dbx", access_token="dapi-sample"
    )
    target = ComputeTarget.attach(ws, "db-sample", config)
    assert isinstance(target, DatabricksCompute)
    assert target.serialize()["settings"] == {"host": "adb-42.7.azuredatabricks.net"}
    target.delete()


def test_attach_without_any_host_names_both_ways_to_give_one(monkeypatch):
    monkeypatch.delenv("DATABRICKS_HOST", raising=False)
    config = DatabricksCompute.attach_configuration(
        resource_group="my-rg", workspace_name="my-dbx", access_token="dapi-sample"
    )
    with pytest.raises(ComputeTargetException) as err:
        ComputeTarget.attach(Workspace.current(), "db-nohost", config)
    message = str(err.value)
    assert "DATABRICKS_HOST" in message
    assert "'db-nohost' or 'databricks_default'" in message
    assert "dapi-sample" not in message


def test_runconfig_libraries_are_refused_with_the_arguments_to_use():
    from mlpipelines.azureml.core.runconfig import RunConfiguration

    with pytest.raises(UserErrorException, match="pass them as jar_libraries=, pypi_libraries="):
        _jar_step(runconfig=RunConfiguration())


def test_printing_the_configuration_shows_no_token():
    config = DatabricksCompute.attach_configuration(
        resource_group="my-rg", workspace_name="my-dbx", access_token="dapi-do-not-print"
    )
    assert "dapi-do-not-print" not in repr(config)
    assert "my-dbx" in repr(config)
