"""The names every AML v1 notebook touches first, used the way the samples use them: the SDK
version, the workspace's Azure names and details, the old module paths, the run widget."""

from __future__ import annotations

import importlib
import json
import re

import pytest

from mlpipelines.azureml.core import Workspace
from mlpipelines.errors import UserErrorException

_KINDS = "mlpipelines.model.datastore_types"
_AZURE_ONLY = "mlpipelines.model.azure_only_names"
_DATA = "mlpipelines.azureml.data"
_CONDA = "mlpipelines.model.conda_dependencies"
OLD_PATHS = [
    ("mlpipelines.azureml.core.workspace", "Workspace", "mlpipelines.model.workspace"),
    ("mlpipelines.azureml.core.datastore", "Datastore", "mlpipelines.model.datastore"),
    ("mlpipelines.azureml.core.compute_target", "ComputeTarget", "mlpipelines.model.compute"),
    ("mlpipelines.azureml.core.compute_target", "ComputeTargetException", "mlpipelines.errors"),
    ("mlpipelines.azureml.core.model", "Model", "mlpipelines.model.registered_model"),
    ("mlpipelines.azureml.core", "Model", "mlpipelines.model.registered_model"),
    ("mlpipelines.azureml.core.environment", "Environment", "mlpipelines.model.environment"),
    ("mlpipelines.azureml.core.environment", "DEFAULT_CPU_IMAGE", "mlpipelines.model.environment"),
    (
        "mlpipelines.azureml.core.conda_dependencies",
        "CondaDependencies",
        "mlpipelines.model.conda_dependencies",
    ),
    ("mlpipelines.azureml.core.experiment", "Experiment", "mlpipelines.client.experiment"),
    ("mlpipelines.azureml.core.run", "Run", "mlpipelines.model.run"),
    ("mlpipelines.azureml.core.runconfig", "RunConfiguration", "mlpipelines.model.environment"),
    ("mlpipelines.azureml.core.runconfig", "DEFAULT_GPU_IMAGE", "mlpipelines.model.environment"),
    ("mlpipelines.azureml.core.runconfig", "DockerConfiguration", "mlpipelines.model.environment"),
    ("mlpipelines.azureml.core.compute", "AmlCompute", "mlpipelines.model.compute"),
    ("mlpipelines.azureml.widgets", "RunDetails", "mlpipelines.client.run_details"),
    ("mlpipelines.azureml.core.environment", "CondaDependencies", _CONDA),
    ("mlpipelines.azureml.core", "Webservice", _AZURE_ONLY),
    ("mlpipelines.azureml.data", "DataType", "mlpipelines.model.dataset"),
    (_DATA + ".abstract_dataset", "AbstractDataset", "mlpipelines.model.dataset"),
    (_DATA + ".azure_storage_datastore", "AzureBlobDatastore", _KINDS),
    (_DATA + ".azure_storage_datastore", "AzureFileDatastore", _KINDS),
    (_DATA + ".azure_data_lake_datastore", "AzureDataLakeGen2Datastore", _KINDS),
    (_DATA + ".azure_sql_database_datastore", "AzureSqlDatabaseDatastore", _KINDS),
    (_DATA + ".azure_postgre_sql_datastore", "AzurePostgreSqlDatastore", _KINDS),
    (_DATA + ".azure_my_sql_datastore", "AzureMySqlDatastore", _KINDS),
    (_DATA + ".dbfs_datastore", "DBFSDatastore", _KINDS),
    ("mlpipelines.azureml.data", "AzureBlobDatastore", _KINDS),
    ("mlpipelines.azureml.pipeline.core.pipeline", "Pipeline", "mlpipelines.model.pipeline"),
    ("mlpipelines.azureml.pipeline.core.builder", "StepSequence", "mlpipelines.model.pipeline"),
    ("mlpipelines.azureml.pipeline.core.schedule", "TimeZone", "mlpipelines.client.time_zones"),
    ("mlpipelines.azureml.pipeline.core", "TimeZone", "mlpipelines.client.time_zones"),
    ("mlpipelines.azureml.exceptions", "ProjectSystemException", "mlpipelines.errors"),
    ("mlpipelines.azureml.exceptions", "AuthenticationException", "mlpipelines.errors"),
    ("mlpipelines.azureml.core.compute", "SynapseCompute", _AZURE_ONLY),
    ("mlpipelines.azureml.core.compute", "HDInsightCompute", _AZURE_ONLY),
    ("mlpipelines.azureml.core.compute", "RemoteCompute", _AZURE_ONLY),
    ("mlpipelines.azureml.core.compute", "KubernetesCompute", _AZURE_ONLY),
    ("mlpipelines.azureml.pipeline.steps", "SynapseSparkStep", _AZURE_ONLY),
]


@pytest.mark.parametrize(
    ("old", "name", "home"), OLD_PATHS, ids=[f"{m}.{n}" for m, n, _ in OLD_PATHS]
)
def test_old_module_paths_reexport_from_the_real_home(old: str, name: str, home: str) -> None:
    module = importlib.import_module(old)
    assert getattr(module, name) is getattr(importlib.import_module(home), name)
    assert name in module.__all__


def test_sdk_version_is_printed_as_the_samples_do(capsys) -> None:
    import mlpipelines.azureml.core

    print("SDK version:", mlpipelines.azureml.core.VERSION)
    assert capsys.readouterr().out == f"SDK version: {mlpipelines.__version__}\n"
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", mlpipelines.azureml.core.VERSION)
    assert mlpipelines.azureml.core.__version__ == mlpipelines.azureml.core.VERSION


@pytest.fixture
def no_env(monkeypatch):
    for name in ("URL", "TOKEN", "USERNAME", "PASSWORD"):
        monkeypatch.delenv(f"MLPIPELINES_AIRFLOW_{name}", raising=False)
    return monkeypatch


def _config(folder, **body):
    (folder / "config.json").write_text(json.dumps(body))
    return folder / "config.json"


def test_workspace_names_come_from_the_old_config_keys(tmp_path, capsys, no_env):
    _config(
        tmp_path,
        subscription_id="1111-2222",
        resource_group="rg-ml",
        workspace_name="ws-ml",
        location="westeurope",
        airflow_url="http://airflow.example:8080",
        token="tok-secret",
    )
    ws = Workspace.from_config(str(tmp_path))
    print(ws.name, ws.resource_group, ws.location, ws.subscription_id, sep="\n")
    assert capsys.readouterr().out.split("\n") == [
        "ws-ml",
        "rg-ml",
        "westeurope",
        "1111-2222",
        "",
    ]
    details = ws.get_details()
    assert details["id"] == (
        "/subscriptions/1111-2222/resourceGroups/rg-ml/providers/"
        "Microsoft.MachineLearningServices/workspaces/ws-ml"
    )
    assert (details["name"], details["location"], details["resourceGroup"]) == (
        "ws-ml",
        "westeurope",
        "rg-ml",
    )
    assert details["airflowUrl"] == "http://airflow.example:8080"
    assert details["defaultDatastore"] == "workspaceblobstore"
    assert "tok-secret" not in json.dumps(details)


def test_a_config_without_azure_keys_gives_stable_placeholders(tmp_path, no_env):
    _config(tmp_path, airflow_url="http://a:1")
    first = Workspace.from_config(str(tmp_path))
    again = Workspace.from_config(str(tmp_path))
    names = (first.subscription_id, first.resource_group, first.location)
    assert names == (again.subscription_id, again.resource_group, again.location)
    assert all(isinstance(n, str) and n for n in names)
    assert first.get_details()["workspaceid"] == again.get_details()["workspaceid"]
    assert Workspace.current().resource_group == first.resource_group


def test_workspace_by_azure_names_is_the_configured_deployment(tmp_path, monkeypatch, no_env):
    _config(tmp_path, airflow_url="http://airflow.example:8080", default_datastore="lake")
    monkeypatch.chdir(tmp_path)
    ws = Workspace("sub-1", "rg-1", "my-ws")
    got = Workspace.get(name="other-ws", subscription_id="sub-2", resource_group="rg-2")
    assert (ws.airflow_url, ws.default_datastore_name) == ("http://airflow.example:8080", "lake")
    assert (ws.subscription_id, ws.resource_group, ws.name) == ("sub-1", "rg-1", "my-ws")
    assert (got.airflow_url, got.name, got.resource_group) == (
        "http://airflow.example:8080",
        "other-ws",
        "rg-2",
    )


def test_workspace_by_azure_names_without_a_config_is_the_current_deployment(
    tmp_path, monkeypatch, no_env
):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLPIPELINES_DEFAULT_DATASTORE", "workspacefilestore")
    ws = Workspace(
        subscription_id="sub", resource_group="rg", workspace_name="ws", _disable_service_check=True
    )
    assert (ws.name, ws.airflow_url, ws.default_datastore_name) == (
        "ws",
        None,
        "workspacefilestore",
    )
    with pytest.raises(UserErrorException, match="workspace_name= or name="):
        Workspace(workspace_name="a", name="b")


def test_run_details_renders_steps_as_text_and_html() -> None:
    from mlpipelines.client.run_details import RunDetails, render_html, render_text

    data = {
        "run_id": "manual__1",
        "status": "Finished",
        "url": "http://af/dags/p/runs/manual__1",
        "steps": [
            {"name": "prep", "status": "Finished", "reused_from": "manual__0", "duration": None},
            {"name": "<train>", "status": "Failed", "reused_from": None, "duration": 2.25},
        ],
    }
    text = render_text(data).splitlines()
    assert text[0] == "Run manual__1: Finished"
    assert text[1].split() == ["step", "status", "reused", "from", "seconds"]
    assert text[3].split() == ["prep", "Finished", "manual__0"]
    assert text[4].split() == ["<train>", "Failed", "2.2"]
    assert text[-1] == "http://af/dags/p/runs/manual__1"
    page = render_html(data)
    assert "<td>&lt;train&gt;</td>" in page and "<td>manual__0</td>" in page
    assert 'href="http://af/dags/p/runs/manual__1"' in page
    with pytest.raises(TypeError, match="PipelineRun or a StepRun"):
        RunDetails("run-id")


def test_a_step_script_tells_an_offline_run_apart_as_the_samples_do(capsys) -> None:
    from mlpipelines.azureml.core import Run
    from mlpipelines.azureml.core.run import _OfflineRun

    run = Run.get_context()
    assert isinstance(run, _OfflineRun), "outside a pipeline the script runs standalone"
    run.log("rows", 3)
    assert "rows: 3" in capsys.readouterr().out


def test_the_step_base_class_and_script_run_names_fit_what_they_stand_for() -> None:
    from mlpipelines.azureml.core import ScriptRun
    from mlpipelines.azureml.core.script_run import ScriptRun as ScriptRunByPath
    from mlpipelines.azureml.pipeline.core import PipelineRun, PipelineStep
    from mlpipelines.azureml.pipeline.core.builder import PipelineStep as PipelineStepByPath
    from mlpipelines.azureml.pipeline.steps import CommandStep, PythonScriptStep

    assert PipelineStep is PipelineStepByPath
    assert issubclass(PythonScriptStep, PipelineStep) and issubclass(CommandStep, PipelineStep)
    assert ScriptRun is ScriptRunByPath is PipelineRun


def test_the_diagnostics_switch_of_the_sample_notebooks_is_accepted() -> None:
    from mlpipelines.azureml.telemetry import set_diagnostics_collection

    assert set_diagnostics_collection(send_diagnostics=True) is None


def test_old_exception_names_catch_what_mlpipelines_raises() -> None:
    from mlpipelines.azureml.exceptions import AzureMLException, ProjectSystemException

    assert issubclass(ProjectSystemException, AzureMLException)
    with pytest.raises(AzureMLException, match="pass workspace_name= or name="):
        Workspace(workspace_name="a", name="b")


def test_the_workspace_lists_what_is_registered_as_the_samples_read_it(tmp_path) -> None:
    from mlpipelines.azureml.core import Dataset, Environment, Experiment, Model

    ws = Workspace(airflow_url="http://127.0.0.1:9", home=str(tmp_path / "home"))
    model_file = tmp_path / "model.pkl"
    model_file.write_bytes(b"m")
    Model.register(ws, str(model_file), "m")
    Model.register(ws, str(model_file), "m")
    Environment("train-env").register(ws)
    store = ws.get_default_datastore()
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a.csv").write_text("a\n1\n")
    store.upload(str(tmp_path / "d"), "d", show_progress=False)
    Dataset.File.from_files((store, "d/a.csv")).register(ws, "raw")
    assert {name: model.version for name, model in ws.models.items()} == {"m": 2}
    assert list(ws.datasets) == ["raw"] and "train-env" in ws.environments
    assert Experiment.list(ws) == []
