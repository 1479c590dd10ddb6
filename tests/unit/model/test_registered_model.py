"""The model registry as the samples use it: ``Model.register`` from a notebook, versions per
name, lookups, downloads; and ``Run.register_model`` / ``run.upload_file`` from a step script
(the step's environment variables set as the runtime sets them)."""

from __future__ import annotations

import io
import pickle
from pathlib import Path

import pytest

from mlpipelines.azureml.core import Model, Run, Workspace
from mlpipelines.azureml.exceptions import WebserviceException
from mlpipelines.errors import UserErrorException
from mlpipelines.records.reserved import ENV_RUN_ID


@pytest.fixture
def ws(tmp_path):
    return Workspace(home=str(tmp_path / "home"))


def _pickle(path: Path, value: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(value))
    return path


def test_register_versions_lookups_and_download(ws, tmp_path):
    first = _pickle(tmp_path / "outputs" / "model.pkl", {"coef": 1})
    model = Model.register(
        workspace=ws,
        model_path=str(first),
        model_name="sklearn_regression_model",
        tags={"area": "diabetes", "type": "regression"},
        description="Ridge regression model to predict diabetes",
        model_framework="ScikitLearn",
    )
    print(model.name, model.id, model.version, sep="\t")
    assert (model.name, model.version, model.id) == (
        "sklearn_regression_model",
        1,
        "sklearn_regression_model:1",
    )
    assert model.tags == {"area": "diabetes", "type": "regression"}
    assert model.description == "Ridge regression model to predict diabetes"
    assert model.url.startswith("file://") or model.url.startswith("/")

    folder = tmp_path / "bundle"
    _pickle(folder / "model.pkl", {"coef": 2})
    (folder / "sub").mkdir()
    (folder / "sub" / "vocab.txt").write_text("a\nb\n")
    second = Model.register(ws, str(folder), "sklearn_regression_model")
    other = Model.register(ws, str(first), "other-model", tags={"area": "iris"})
    assert (second.version, other.version) == (2, 1)

    latest = Model(ws, "sklearn_regression_model")
    assert (latest.version, latest.tags) == (2, {})
    assert Model(ws, name="sklearn_regression_model", version=1).tags["area"] == "diabetes"
    assert Model(ws, id="sklearn_regression_model:1").version == 1
    assert [(m.name, m.version) for m in Model.list(ws)] == [
        ("other-model", 1),
        ("sklearn_regression_model", 2),
        ("sklearn_regression_model", 1),
    ]
    assert [m.version for m in Model.list(ws, name="sklearn_regression_model")] == [2, 1]
    assert [m.id for m in Model.list(ws, latest=True)] == [
        "other-model:1",
        "sklearn_regression_model:2",
    ]
    assert [m.id for m in Model.list(ws, tags=[["area", "iris"]])] == ["other-model:1"]
    assert [m.id for m in Model.list(ws, tags=["type"])] == ["sklearn_regression_model:1"]

    target = tmp_path / "downloaded"
    path = Model(ws, "sklearn_regression_model", version=1).download(str(target))
    assert pickle.loads(Path(path).read_bytes()) == {"coef": 1}
    folder_copy = Path(latest.download(target_dir=str(target)))
    assert (folder_copy / "sub" / "vocab.txt").read_text() == "a\nb\n"
    with pytest.raises(UserErrorException, match="exists; pass exist_ok=True"):
        latest.download(str(target))
    assert latest.download(str(target), exist_ok=True) == str(folder_copy)


def test_registered_versions_are_immutable_copies(ws, tmp_path):
    source = _pickle(tmp_path / "model.pkl", "v1")
    Model.register(ws, str(source), "m")
    source.write_bytes(pickle.dumps("changed after registration"))
    path = Model(ws, "m").download(str(tmp_path / "out"))
    assert pickle.loads(Path(path).read_bytes()) == "v1"


def test_bad_registrations_and_lookups_say_what_is_wrong(ws, tmp_path):
    with pytest.raises(UserErrorException, match=r"model_path '.*absent\.pkl' does not exist"):
        Model.register(ws, str(tmp_path / "absent.pkl"), "m")
    with pytest.raises(UserErrorException, match="model name 'bad/name' must start"):
        Model.register(ws, str(_pickle(tmp_path / "m.pkl", 1)), "bad/name")
    with pytest.raises(UserErrorException, match=r"no model registered as 'm' \(registered: none"):
        Model(ws, "m")
    Model.register(ws, str(tmp_path / "m.pkl"), "m")
    with pytest.raises(UserErrorException, match=r"model 'm' has no version 7 \(versions: 1\)"):
        Model(ws, "m", version=7)
    with pytest.raises(UserErrorException, match="needs a name or an id"):
        Model(ws)


def test_a_step_script_registers_a_model_and_uploads_a_file(tmp_path, monkeypatch):
    from mlpipelines.model.workspace import airflow_home

    monkeypatch.setenv(ENV_RUN_ID, "train_dag/manual__2026-01-01T00:00:00+00:00/train")
    monkeypatch.chdir(tmp_path)
    _pickle(tmp_path / "outputs" / "model.pkl", {"alpha": 0.5})

    run = Run.get_context()
    model = run.register_model(
        model_name="diabetes", model_path="outputs/model.pkl", tags={"alpha": 0.5}
    )
    uri = run.upload_file(name="outputs/report.txt", path_or_stream=io.BytesIO(b"rmse=3.1\n"))
    run.upload_file("notes.txt", io.StringIO("text stream"))

    client = Model(Workspace.current(), "diabetes")
    assert (client.version, client.tags, client.run_id) == (model.version, {"alpha": "0.5"}, run.id)
    folder = (
        airflow_home()
        / "mlpipelines/workspaceblobstore/artifacts/train_dag"
        / "manual__2026-01-01T00_00_00_00_00/train"
    )
    assert (folder / "outputs" / "report.txt").read_text() == "rmse=3.1\n"
    assert (folder / "notes.txt").read_text() == "text stream"
    assert uri.endswith("train/outputs/report.txt")
    with pytest.raises(UserErrorException, match=r"'missing\.pkl' does not exist"):
        run.register_model("diabetes", "missing.pkl")
    with pytest.raises(UserErrorException, match="leaves the datastore"):
        run.upload_file("../escape.txt", io.BytesIO(b"x"))


def test_a_missing_model_raises_webservice_exception_as_aml_did(ws, tmp_path):
    """The notebook idiom "register it unless it is there" catches the old SDK's exception."""
    path = _pickle(tmp_path / "outputs" / "model.pkl", {"coef": 3})
    try:
        model = Model(ws, "sklearn_model")
    except WebserviceException:
        model = Model.register(workspace=ws, model_path=str(path), model_name="sklearn_model")
    assert (model.name, model.version) == ("sklearn_model", 1)
    with pytest.raises(WebserviceException, match="has no version 9"):
        Model(ws, "sklearn_model", version=9)
    assert Model(ws, "sklearn_model").version == 1


def test_the_framework_and_resource_arguments_of_the_samples_are_accepted(ws, tmp_path):
    from mlpipelines.azureml.core.resource_configuration import ResourceConfiguration

    path = _pickle(tmp_path / "outputs" / "model.pkl", {"coef": 1})
    model = Model.register(
        workspace=ws,
        model_name="sk",
        model_path=str(path),
        model_framework=Model.Framework.SCIKITLEARN,
        model_framework_version="1.4.2",
        resource_configuration=ResourceConfiguration(cpu=1, memory_in_gb=0.5),
    )
    assert (model.name, model.version) == ("sk", 1)
    assert Model.Framework.SCIKITLEARN == "ScikitLearn"
