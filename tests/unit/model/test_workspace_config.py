"""Workspace config: file values, environment fallbacks, authentication objects, and where
published pipelines are stored."""

from __future__ import annotations

import json

import pytest

from mlpipelines.azureml.core import Workspace
from mlpipelines.azureml.core.authentication import ServicePrincipalAuthentication
from mlpipelines.client.airflow_api import AirflowApi
from mlpipelines.translate.spec import specs_folder


@pytest.fixture
def no_env(monkeypatch):
    for name in ("URL", "TOKEN", "USERNAME", "PASSWORD"):
        monkeypatch.delenv(f"MLPIPELINES_AIRFLOW_{name}", raising=False)
    return monkeypatch


def write(tmp_path, body):
    (tmp_path / "config.json").write_text(json.dumps(body))
    return tmp_path / "config.json"


def test_secrets_may_come_from_the_environment(tmp_path, no_env):
    path = write(tmp_path, {"subscription_id": "x", "resource_group": "y", "workspace_name": "w"})
    no_env.setenv("MLPIPELINES_AIRFLOW_URL", "http://airflow.example:8080")
    no_env.setenv("MLPIPELINES_AIRFLOW_TOKEN", "tok-123")
    ws = Workspace.from_config(path)
    assert (ws.name, ws.airflow_url, ws.token) == ("w", "http://airflow.example:8080", "tok-123")
    assert "tok-123" not in repr(ws)


def test_file_values_win_over_the_environment(tmp_path, no_env):
    path = write(tmp_path, {"airflow_url": "http://a:1", "username": "u", "password": "p"})
    no_env.setenv("MLPIPELINES_AIRFLOW_URL", "http://b:2")
    no_env.setenv("MLPIPELINES_AIRFLOW_USERNAME", "other")
    ws = Workspace.from_config(path)
    assert (ws.airflow_url, ws.username, ws.password) == ("http://a:1", "u", "p")


def test_an_authentication_object_supplies_the_credentials(tmp_path, no_env):
    path = write(tmp_path, {"airflow_url": "http://a:1", "username": "u", "password": "p"})
    auth = ServicePrincipalAuthentication(
        tenant_id="t", service_principal_id="robot", service_principal_password="s3cret"
    )
    api = AirflowApi.from_workspace(Workspace.from_config(path, auth=auth))
    assert (api._username, api._password) == ("robot", "s3cret")


def test_no_airflow_url_is_a_clear_error(tmp_path, no_env):
    with pytest.raises(ValueError, match="MLPIPELINES_AIRFLOW_URL"):
        AirflowApi.from_workspace(Workspace.from_config(write(tmp_path, {})))


def test_specs_datastore_says_where_pipelines_are_published(tmp_path, no_env):
    shared = tmp_path / "shared"
    path = write(
        tmp_path,
        {
            "home": str(tmp_path / "home"),
            "specs_datastore": "pipelines",
            "datastores": {"pipelines": {"kind": "local", "path": str(shared)}},
        },
    )
    ws = Workspace.from_config(path)
    assert specs_folder(ws) == shared / ".mlpipelines" / "specs"
    assert Workspace.from_config(ws.write_config(tmp_path / "again")).specs_datastore_name == (
        "pipelines"
    )
    default = Workspace.from_config(write(tmp_path, {"home": str(tmp_path / "home")}))
    assert specs_folder(default) == (
        tmp_path / "home" / "mlpipelines" / "workspaceblobstore" / ".mlpipelines" / "specs"
    )


def test_unknown_keys_are_refused(tmp_path, no_env):
    with pytest.raises(Exception, match="unknown keys in workspace config: airflow_uri"):
        Workspace.from_config(write(tmp_path, {"airflow_uri": "http://a"}))


def test_a_trailing_slash_in_airflow_url_makes_no_double_slash(tmp_path, no_env):
    from mlpipelines.client.pipeline_endpoint import PipelineEndpoint
    from mlpipelines.client.published_pipeline import PublishedPipeline

    ws = Workspace.from_config(write(tmp_path, {"airflow_url": "http://h:8080/"}))
    assert ws.airflow_url == "http://h:8080"
    assert PublishedPipeline(ws, {"id": "p1"}).endpoint == "http://h:8080/mlpipelines/pipelines/p1"
    assert (
        PipelineEndpoint(ws, {"id": "e1"}).endpoint == "http://h:8080/mlpipelines/endpoints/Id/e1"
    )
    assert Workspace(airflow_url="http://h:8080//").airflow_url == "http://h:8080"
    no_env.setenv("MLPIPELINES_AIRFLOW_URL", "http://env:1/")
    assert Workspace.from_config(write(tmp_path, {})).airflow_url == "http://env:1"


def test_no_airflow_url_is_a_user_error_for_the_api_and_the_auth_classes(tmp_path, no_env):
    from mlpipelines.errors import UserErrorException

    ws = Workspace.from_config(write(tmp_path, {"username": "u", "password": "p"}))
    with pytest.raises(UserErrorException, match="MLPIPELINES_AIRFLOW_URL"):
        AirflowApi.from_workspace(ws)
    auth = ServicePrincipalAuthentication(
        service_principal_id="robot", service_principal_password="s", workspace=ws
    )
    with pytest.raises(UserErrorException, match="MLPIPELINES_AIRFLOW_URL"):
        auth.get_authentication_header()


def test_msi_authentication_takes_the_environments_token(tmp_path, no_env):
    from mlpipelines.azureml.core.authentication import MsiAuthentication

    write(tmp_path, {"subscription_id": "x", "resource_group": "y", "workspace_name": "w"})
    no_env.chdir(tmp_path)
    no_env.setenv("MLPIPELINES_AIRFLOW_URL", "http://airflow.example:8080")
    no_env.setenv("MLPIPELINES_AIRFLOW_TOKEN", "tok-msi")
    auth = MsiAuthentication(identity_config={"client_id": "ignored"})
    assert auth.get_authentication_header() == {"Authorization": "Bearer tok-msi"}
    ws = Workspace(subscription_id="x", resource_group="y", workspace_name="w", auth=auth)
    assert ws.auth is auth
