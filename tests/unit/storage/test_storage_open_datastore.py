"""open_datastore: workspace folders, Airflow connections, default folders, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlpipelines.errors import UserErrorException
from mlpipelines.model.datastore import Datastore
from mlpipelines.model.workspace import Workspace
from mlpipelines.storage import DatastoreAccessError, datastores, open_datastore
from mlpipelines.storage.registration import (
    environment_name,
    environment_value,
    registration_body,
)


def test_a_local_folder_registered_in_the_workspace_comes_first(tmp_path, monkeypatch):
    ws = Workspace()
    Datastore.register_local_folder(ws, "mystore", str(tmp_path / "folder"))
    other = tmp_path / "from-connection"
    monkeypatch.setenv(
        environment_name("mystore"),
        environment_value(registration_body("local", "mystore", path=str(other))),
    )
    loc = open_datastore("mystore", ws)
    assert (loc.kind, loc.root) == ("local", str(tmp_path / "folder"))


def test_an_airflow_connection_in_json_form(tmp_path, monkeypatch):
    body = registration_body(
        "s3", "lake", bucket="bkt", access_key_id="AKIA1", secret_access_key="very-secret-value",
        endpoint_url="http://127.0.0.1:9", region_name="eu-west-1", prefix="runs",
    )  # fmt: skip
    monkeypatch.setenv(environment_name("lake"), environment_value(body))
    loc = open_datastore("lake")
    assert (loc.datastore, loc.kind, loc.root) == ("lake", "s3", "bkt/runs")
    assert "very-secret-value" not in repr(loc)
    assert "fs" not in vars(loc), "nothing may connect before .fs is used"


def test_an_airflow_connection_in_uri_form(tmp_path, monkeypatch):
    folder = tmp_path / "uri-store"
    monkeypatch.setenv("AIRFLOW_CONN_URISTORE", f"mlpipelines-local://?path={folder}")
    loc = open_datastore("uristore")
    assert (loc.kind, loc.root) == ("local", str(folder))


def test_default_datastores_fall_back_to_the_airflow_home(monkeypatch, tmp_path):
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path))
    loc = open_datastore("workspacefilestore")
    assert loc.root == str(tmp_path / "mlpipelines" / "workspacefilestore")
    loc.check()
    assert Path(loc.root).is_dir()


def test_a_connection_overrides_a_default_datastore(monkeypatch, tmp_path):
    body = registration_body("local", "workspaceblobstore", path=str(tmp_path / "shared"))
    monkeypatch.setenv(environment_name("workspaceblobstore"), environment_value(body))
    assert open_datastore("workspaceblobstore").root == str(tmp_path / "shared")


def test_a_default_datastore_defined_by_a_connection_is_no_folder_for_steps_either(
    monkeypatch, tmp_path
):
    """Workers that share no disk: the plan, outputs and artifacts must all go through the
    connection, not each worker's own <AIRFLOW_HOME>/mlpipelines/workspaceblobstore."""
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path / "home"))
    body = registration_body("local", "workspaceblobstore", path=str(tmp_path / "shared"))
    monkeypatch.setenv(environment_name("workspaceblobstore"), environment_value(body))
    datastores._opened.cache_clear()
    spec = Workspace.current().get_default_datastore().spec
    assert not spec.is_local
    assert datastores.location_of(spec).root == str(tmp_path / "shared")
    assert Workspace.current().datastore_spec("workspacefilestore").is_local
    # What clients submit (the control store) goes through the connection too, where every
    # component reads it, not into this component's own folder.
    monkeypatch.setenv("MLPIPELINES_SPECS_DATASTORE", "workspaceblobstore")
    from mlpipelines.storage.control_store import control_store

    control_store(Workspace.current()).write("specs/x.json", {"dag_id": "x"})
    assert (tmp_path / "shared" / ".mlpipelines" / "specs" / "x.json").is_file()
    assert not (tmp_path / "home" / "mlpipelines" / "workspaceblobstore").exists()
    datastores._opened.cache_clear()


def test_an_unknown_name_says_how_to_register_it():
    with pytest.raises(UserErrorException) as err:
        open_datastore("nowhere")
    message = str(err.value)
    assert "'nowhere'" in message
    assert "register_local_folder" in message
    assert "AIRFLOW_CONN_NOWHERE" in message


def test_a_bad_connection_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_BROKEN", json.dumps({"conn_type": "mlpipelines_s3"}))
    with pytest.raises(UserErrorException, match=r"datastore 'broken'.*bucket"):
        open_datastore("broken")


def test_an_unreachable_local_root_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    ws = Workspace()
    Datastore.register_local_folder(ws, "blocked", str(blocker / "below"))
    with pytest.raises(DatastoreAccessError, match="datastore 'blocked'"):
        open_datastore("blocked", ws).check()


def test_hooks_read_the_same_connections(monkeypatch, tmp_path):
    from mlpipelines.hooks.datastore import LocalFolderDatastoreHook, S3DatastoreHook

    body = registration_body("local", "handy", path=str(tmp_path / "handy"))
    monkeypatch.setenv(environment_name("handy"), environment_value(body))
    hook = LocalFolderDatastoreHook("handy")
    assert hook.location.root == str(tmp_path / "handy")
    hook.fs.pipe_file(hook.location.path("a/b.txt"), b"hello")
    assert (tmp_path / "handy" / "a" / "b.txt").read_bytes() == b"hello"
    assert hook.test_connection()[0] is True
    with pytest.raises(UserErrorException, match="mlpipelines_s3"):
        _ = S3DatastoreHook("handy").location
