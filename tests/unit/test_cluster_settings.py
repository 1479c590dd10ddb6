"""scripts/cluster_settings.py: each component of the local cluster gets its own folders, and
shares only the deployment-wide settings with the others."""

from __future__ import annotations

import json
import stat
from types import SimpleNamespace

import pytest

from cluster_settings import (
    COMPONENTS,
    WORKERS,
    Layout,
    Ports,
    Secrets,
    component_argv,
    component_environment,
    shared_environment,
)
from mlpipelines.storage.connections import location_from_connection


@pytest.fixture
def layout(tmp_path) -> Layout:
    return Layout(tmp_path / "cluster")


@pytest.fixture
def keys(tmp_path) -> Secrets:
    return Secrets.load_or_create(tmp_path / "cluster" / "secrets.json")


PORTS = Ports(api=41001, postgres=41002, redis=41003, azurite=41004, worker_log_server=41005,
              trigger_log_server=41006)  # fmt: skip


def test_secrets_are_made_once_into_a_file_only_the_owner_reads(layout, keys):
    mode = stat.S_IMODE(layout.secrets_file.stat().st_mode)
    assert mode == 0o600
    assert Secrets.load_or_create(layout.secrets_file) == keys
    assert len(set(json.loads(layout.secrets_file.read_text()).values())) == 6


def test_each_component_has_its_own_home_temp_and_dags_folder(layout, keys):
    for component in COMPONENTS:
        env = component_environment(layout, component, PORTS, keys)
        home = layout.home(component)
        assert env["AIRFLOW_HOME"] == env["HOME"] == str(home)
        assert env["TMPDIR"] == str(home / "tmp")
        assert env["AIRFLOW__CORE__DAGS_FOLDER"] == str(home / "dags")
        others = [str(layout.home(c)) for c in COMPONENTS if c != component]
        for key, value in env.items():
            assert not any(other in value for other in others), (component, key)
            assert str(layout.root) not in value or str(home) in value, (component, key)


def test_components_share_exactly_the_deployment_settings(layout, keys):
    shared = shared_environment(PORTS, keys)
    for component in COMPONENTS:
        env = component_environment(layout, component, PORTS, keys)
        assert {k: env[k] for k in shared} == shared
        assert set(env) - set(shared) == {
            "PATH", "LANG", "HOME", "TMPDIR", "AIRFLOW_HOME", "AIRFLOW__CORE__DAGS_FOLDER",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE",
        }  # fmt: skip
    assert shared["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert shared["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://127.0.0.1:41001/execution/"
    assert shared["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg2://")
    assert shared["AIRFLOW__CELERY__BROKER_URL"].endswith("@127.0.0.1:41003/0")
    assert shared["MLPIPELINES_DEFAULT_DATASTORE"] == "workspaceblobstore"


def test_the_default_datastore_is_the_azurite_container(keys):
    value = json.loads(shared_environment(PORTS, keys)["AIRFLOW_CONN_WORKSPACEBLOBSTORE"])
    fields = {f: value.get(f) for f in ("conn_type", "host", "login", "password", "schema", "port")}
    connection = SimpleNamespace(**fields, extra=json.dumps(value["extra"]))
    location = location_from_connection("workspaceblobstore", connection)
    assert location.uri("x/y") == "az://workspaceblobstore/x/y"
    assert "BlobEndpoint=http://127.0.0.1:41004/" in value["extra"]["connection_string"]


def test_no_secret_is_on_a_command_line(layout, keys):
    secrets = set(json.loads(layout.secrets_file.read_text()).values())
    for component in COMPONENTS:
        argv = " ".join(component_argv(component, PORTS))
        assert not any(secret in argv for secret in secrets), component
    for worker in WORKERS:
        assert component_argv(worker, PORTS)[-4:-1] == ["worker", "--concurrency", "2"]
