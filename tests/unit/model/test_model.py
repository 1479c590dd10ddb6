"""The model: workspace config, datastores, data references, steps and pipeline closure."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from mlpipelines import (
    ComputeTarget,
    DataReference,
    Datastore,
    Pipeline,
    PipelineData,
    PipelineParameter,
    PythonScriptStep,
    StepSequence,
    UserErrorException,
    Workspace,
)
from mlpipelines.model.pipeline import step_upstreams

HERE = Path(__file__).resolve().parent


@pytest.fixture
def ws(monkeypatch: pytest.MonkeyPatch) -> Workspace:
    monkeypatch.delenv("MLPIPELINES_WORKSPACE", raising=False)
    monkeypatch.delenv("MLPIPELINES_DEFAULT_DATASTORE", raising=False)
    return Workspace.current()


@pytest.fixture
def local_store(ws: Workspace, tmp_path: Path) -> Datastore:
    return Datastore.register_local_folder(ws, "mystore", str(tmp_path / "store"))


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# -- workspace -----------------------------------------------------------------------------


def test_current_workspace_has_default_datastores_under_airflow_home(ws: Workspace) -> None:
    home = Path(os.environ["AIRFLOW_HOME"])
    assert ws.config_path is None
    assert set(ws.datastores) >= {"workspaceblobstore", "workspacefilestore"}
    default = ws.get_default_datastore()
    assert default.name == "workspaceblobstore"
    for name in ("workspaceblobstore", "workspacefilestore"):
        assert ws.datastores[name].root == home / "mlpipelines" / name


def test_current_workspace_reads_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLPIPELINES_WORKSPACE", "prod")
    monkeypatch.setenv("MLPIPELINES_DEFAULT_DATASTORE", "workspacefilestore")
    ws = Workspace.current()
    assert ws.name == "prod"
    assert ws.get_default_datastore().name == "workspacefilestore"


def test_from_config_explicit_file(tmp_path: Path) -> None:
    body = {"name": "dev", "airflow_url": "http://localhost:9999", "username": "u"}
    config = _write(tmp_path / "anything.json", json.dumps(body))
    ws = Workspace.from_config(str(config))
    assert (ws.name, ws.airflow_url, ws.username) == ("dev", "http://localhost:9999", "u")
    assert ws.config_path == str(config)


@pytest.mark.parametrize("file_name", ["config.json", ".azureml/config.json", "mlpipelines.json"])
def test_from_config_searches_a_folder(tmp_path: Path, file_name: str) -> None:
    _write(tmp_path / file_name, json.dumps({"name": file_name}))
    assert Workspace.from_config(tmp_path).name == file_name


def test_from_config_searches_upwards_from_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(tmp_path / ".azureml" / "config.json", json.dumps({"name": "up_there"}))
    deep = tmp_path / "a" / "b" / "c"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    ws = Workspace.from_config()
    assert ws.name == "up_there"
    assert Path(ws.config_path) == tmp_path / ".azureml" / "config.json"


def test_from_config_keeps_old_azure_keys_as_names_only(tmp_path: Path) -> None:
    body = {
        "subscription_id": "00000000-0000-0000-0000-000000000000",
        "resource_group": "rg",
        "workspace_name": "old",
        "name": "dev",
        "airflow_url": "http://af",
    }
    ws = Workspace.from_config(_write(tmp_path / "config.json", json.dumps(body)))
    assert (ws.name, ws.airflow_url) == ("dev", "http://af")
    assert (ws.subscription_id, ws.resource_group) == ("00000000-0000-0000-0000-000000000000", "rg")


def test_from_config_refuses_unknown_key(tmp_path: Path) -> None:
    config = _write(tmp_path / "config.json", json.dumps({"name": "x", "colour": "blue"}))
    with pytest.raises(UserErrorException, match="colour"):
        Workspace.from_config(config)


def test_from_config_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(UserErrorException) as info:
        Workspace.from_config(tmp_path / "empty")
    assert str(tmp_path / "empty") in str(info.value)
    assert "config.json" in str(info.value)


def test_from_config_refuses_broken_json(tmp_path: Path) -> None:
    config = _write(tmp_path / "config.json", "{not json")
    with pytest.raises(UserErrorException, match="cannot read"):
        Workspace.from_config(config)


def test_write_config_round_trip(tmp_path: Path) -> None:
    ws = Workspace(name="dev", username="admin", password="pw")
    Datastore.register_local_folder(ws, "lake", str(tmp_path / "lake"))
    ws.airflow_url = "http://af:8080"
    ws.set_default_datastore("lake")
    written = ws.write_config(tmp_path / "cfg")
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    back = Workspace.from_config(tmp_path / "cfg")
    assert back.config_path == str(written)
    for attr in ("name", "airflow_url", "username", "password", "default_datastore_name"):
        assert getattr(back, attr) == getattr(ws, attr)
    assert back.datastore_specs["lake"] == ws.datastore_specs["lake"]
    assert back.get_default_datastore().root == tmp_path / "lake"


def test_write_config_round_trip_keeps_token(tmp_path: Path) -> None:
    ws = Workspace(name="dev", airflow_url="http://af:8080", token="secret-token")
    back = Workspace.from_config(ws.write_config(tmp_path))
    assert back.token == "secret-token"


# -- datastores ----------------------------------------------------------------------------


def test_datastore_by_name_and_get(ws: Workspace) -> None:
    one = Datastore(ws, "workspacefilestore")
    two = Datastore.get(ws, "workspacefilestore")
    assert one.name == two.name == "workspacefilestore"
    assert one == two
    assert one != Datastore(ws, "workspaceblobstore")
    assert Datastore(ws).name == ws.default_datastore_name


def test_an_unknown_datastore_raises_naming_it_and_how_to_register_it(ws: Workspace) -> None:
    for fetch in (Datastore, Datastore.get):
        with pytest.raises(UserErrorException) as info:
            fetch(ws, "nosuchstore")
        message = str(info.value)
        assert "no datastore named 'nosuchstore'" in message
        assert "Datastore.register_azure_blob_container(ws, 'nosuchstore'" in message
        assert "AIRFLOW_CONN_NOSUCHSTORE" in message


def test_the_samples_try_get_except_register_idiom_registers(ws: Workspace, tmp_path) -> None:
    try:
        store = Datastore.get(ws, datastore_name="scratch")
    except UserErrorException:
        store = Datastore.register_local_folder(ws, "scratch", str(tmp_path / "scratch"))
    assert Datastore.get(ws, "scratch") == store
    assert store.root == tmp_path / "scratch"


def test_a_step_script_names_a_datastore_without_importing_airflow(tmp_path) -> None:
    (tmp_path / "airflow.cfg").write_text("[core]\n")  # an Airflow home, as on a worker
    code = (
        "import sys\n"
        "from mlpipelines.azureml.core import Datastore, Workspace\n"
        "store = Datastore(Workspace.current(), 'sales_blob')\n"
        "print(store.datastore_type, 'airflow' in sys.modules)\n"
    )
    env = {**os.environ, "AIRFLOW_HOME": str(tmp_path), "MLPIPELINES_STEP_NAME": "score"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    )
    assert out.stdout.split() == ["AirflowConnection", "False"], out.stderr


def test_an_airflow_connection_is_a_datastore_opened_when_used(ws: Workspace, monkeypatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_VIA_ENV", '{"conn_type": "mlpipelines_s3"}')
    store = Datastore(ws, "via_env")
    assert store.datastore_type == "AirflowConnection"
    assert Datastore.get(ws, "via_env") == store
    with pytest.raises(UserErrorException, match="datastore 'via_env'"):
        store.upload_files([__file__], show_progress=False)


def test_register_local_folder(ws: Workspace, tmp_path: Path) -> None:
    store = Datastore.register_local_folder(ws, "mystore", str(tmp_path / "f"))
    assert store.root == tmp_path / "f"
    assert store.datastore_type == "LocalFolder"
    assert ws.datastores["mystore"] == store
    with pytest.raises(UserErrorException, match="mystore"):
        Datastore.register_local_folder(ws, "mystore", str(tmp_path / "g"))
    again = Datastore.register_local_folder(ws, "mystore", str(tmp_path / "g"), overwrite=True)
    assert again.root == tmp_path / "g"


def test_upload_files_and_overwrite(local_store: Datastore, tmp_path: Path) -> None:
    a = _write(tmp_path / "in" / "a.txt", "first")
    b = _write(tmp_path / "in" / "b.txt", "bee")
    ref = local_store.upload_files([str(a), str(b)], target_path="sub", show_progress=False)
    assert isinstance(ref, DataReference)
    assert ref.datastore == local_store and ref.path_on_datastore == "sub"
    landed = local_store.root / "sub" / "a.txt"
    assert landed.read_text() == "first"
    assert (local_store.root / "sub" / "b.txt").read_text() == "bee"

    a.write_text("second")
    local_store.upload_files([str(a)], target_path="sub", show_progress=False)
    assert landed.read_text() == "first"
    local_store.upload_files([str(a)], target_path="sub", overwrite=True, show_progress=False)
    assert landed.read_text() == "second"


def test_upload_folder_and_download(local_store: Datastore, tmp_path: Path) -> None:
    _write(tmp_path / "src" / "top.txt", "top")
    _write(tmp_path / "src" / "deep" / "low.txt", "low")
    local_store.upload(str(tmp_path / "src"), target_path="data", show_progress=False)
    assert (local_store.root / "data" / "deep" / "low.txt").read_text() == "low"

    _write(tmp_path / "src" / "top.txt", "changed")
    local_store.upload(str(tmp_path / "src"), target_path="data", show_progress=False)
    assert (local_store.root / "data" / "top.txt").read_text() == "top"
    local_store.upload(str(tmp_path / "src"), "data", overwrite=True, show_progress=False)
    assert (local_store.root / "data" / "top.txt").read_text() == "changed"

    out = tmp_path / "out"
    count = local_store.download(str(out), prefix="data", show_progress=False)
    assert count == 2
    assert (out / "data" / "deep" / "low.txt").read_text() == "low"
    (out / "data" / "top.txt").write_text("local edit")
    assert local_store.download(str(out), prefix="data", show_progress=False) == 0
    assert (out / "data" / "top.txt").read_text() == "local edit"
    local_store.download(str(out), prefix="data", overwrite=True, show_progress=False)
    assert (out / "data" / "top.txt").read_text() == "changed"


def test_transfers_refuse_paths_leaving_the_datastore(
    local_store: Datastore, tmp_path: Path
) -> None:
    src = _write(tmp_path / "src" / "a.txt", "a")
    with pytest.raises(UserErrorException, match=r"\.\."):
        local_store.upload_files([str(src)], target_path="../escape", show_progress=False)
    with pytest.raises(UserErrorException, match=r"\.\."):
        local_store.upload(str(src.parent), target_path="x/../../escape", show_progress=False)
    with pytest.raises(UserErrorException, match=r"\.\."):
        local_store.download(str(tmp_path / "out"), prefix="../", show_progress=False)
    assert not (tmp_path / "escape").exists()
    assert not (local_store.root.parent / "escape").exists()


# -- data ------------------------------------------------------------------------------------


def test_data_reference_modes_and_paths(ws: Workspace) -> None:
    ref = DataReference(ws.get_default_datastore(), "raw", "base/")
    down = ref.as_download()
    assert down.mode == "download" and ref.mode == "mount"
    assert down.as_mount().mode == "mount"
    sub = ref.path("part/file.csv")
    assert sub.path_on_datastore == "base/part/file.csv"
    assert sub.datastore is ref.datastore and sub.name == "raw"
    assert ref.path_on_datastore == "base/"
    assert ref.path("x", data_reference_name="other").name == "other"
    with pytest.raises(UserErrorException):
        DataReference(ws.get_default_datastore(), mode="teleport")


def test_pipeline_data_input_forms_keep_identity(tmp_path: Path) -> None:
    data = PipelineData("features")
    produce = PythonScriptStep("p.py", outputs=[data], source_directory=str(tmp_path))
    as_input = data.as_input("feats")
    as_download = data.as_download()
    assert as_input.data is data and as_input.name == "feats" and as_input.mode == "mount"
    assert as_download.data is data and as_download.name == "features"
    assert as_download.mode == "download"
    consume = PythonScriptStep("c.py", inputs=[as_download], source_directory=str(tmp_path))
    assert step_upstreams(consume) == [produce]


# -- steps -----------------------------------------------------------------------------------


def test_target_is_an_alias_of_compute_target() -> None:
    target = ComputeTarget(None, "cpu")
    step = PythonScriptStep("train.py", target=target)
    assert step.compute_target is target
    assert step.compute_target_name == "cpu"
    with pytest.raises(UserErrorException):
        PythonScriptStep("train.py", target=target, compute_target=target)


def test_step_name_defaults_to_script_name() -> None:
    assert PythonScriptStep("train.py").name == "train.py"
    assert PythonScriptStep("train.py", name="fit").name == "fit"


def test_relative_source_directory_resolves_beside_defining_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    step = PythonScriptStep("x.py", source_directory="not_a_real_folder")
    assert step.resolved_source_directory == HERE / "not_a_real_folder"
    assert PythonScriptStep("x.py").resolved_source_directory == HERE
    absolute = PythonScriptStep("x.py", source_directory=str(tmp_path))
    assert absolute.resolved_source_directory == tmp_path


# -- pipelines -------------------------------------------------------------------------------


def _chain(tmp_path: Path) -> list[PythonScriptStep]:
    first, second = PipelineData("first"), PipelineData("second")
    a = PythonScriptStep("a.py", name="a", outputs=[first], source_directory=str(tmp_path))
    b = PythonScriptStep(
        "b.py", name="b", inputs=[first], outputs=[second], source_directory=str(tmp_path)
    )
    c = PythonScriptStep("c.py", name="c", inputs=[second], source_directory=str(tmp_path))
    return [a, b, c]


def test_pipeline_of_last_step_holds_its_producers(ws: Workspace, tmp_path: Path) -> None:
    a, b, c = _chain(tmp_path)
    assert Pipeline(ws, steps=[c]).steps == [a, b, c]
    assert Pipeline(workspace=ws, steps=c).steps == [a, b, c]


def test_nested_step_lists(ws: Workspace, tmp_path: Path) -> None:
    a, b, c = _chain(tmp_path)
    other = PythonScriptStep("o.py", name="o", source_directory=str(tmp_path))
    assert Pipeline(ws, [[a, [b]], (c, other)]).steps == [a, b, c, other]
    assert Pipeline(ws, [[c, b, a]]).steps == [a, b, c]


def test_step_sequence_orders_by_run_after(ws: Workspace, tmp_path: Path) -> None:
    a, b, c = (PythonScriptStep(f"{n}.py", name=n, source_directory=str(tmp_path)) for n in "abc")
    sequence = StepSequence(steps=[a, b, c])
    assert step_upstreams(a) == []
    assert step_upstreams(b) == [a]
    assert step_upstreams(c) == [b]
    assert Pipeline(ws, steps=sequence).steps == [a, b, c]
    assert Pipeline(ws, steps=[c]).steps == [a, b, c]


def test_pipeline_parameters(ws: Workspace, tmp_path: Path) -> None:
    lr, epochs = PipelineParameter("lr", 0.1), PipelineParameter("epochs", 5)
    one = PythonScriptStep("a.py", name="one", arguments=["--lr", lr], params={"EPOCHS": epochs})
    two = PythonScriptStep("b.py", name="two", arguments=[PipelineParameter("lr", 0.1)])
    params = Pipeline(ws, [one, two]).parameters
    assert set(params) == {"lr", "epochs"}
    assert params["lr"] is lr and params["epochs"] is epochs
    assert Pipeline(ws, [PythonScriptStep("c.py", arguments=["plain"])]).parameters == {}


def test_importing_the_model_does_not_import_airflow() -> None:
    code = (
        "import json, sys, mlpipelines.model\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('airflow', 'mlpipelines'))))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    loaded = json.loads(result.stdout)
    assert "mlpipelines.model.pipeline" in loaded
    assert [m for m in loaded if m == "airflow" or m.startswith("airflow.")] == []
