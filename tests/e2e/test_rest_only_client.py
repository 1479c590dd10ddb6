"""A client that has only the Airflow URL and a token (a laptop): its config names no Airflow
home and no datastore, so pipelines, records and compute targets reach the deployment
through the plugin's REST API, as on a deployment whose disk the client cannot see."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from mlpipelines.azureml.core import Datastore, Experiment, Workspace
from mlpipelines.azureml.core.compute import AmlCompute, ComputeTarget
from mlpipelines.azureml.data.data_reference import DataReference
from mlpipelines.azureml.pipeline.core import Pipeline, PipelineData, PublishedPipeline
from mlpipelines.azureml.pipeline.steps import DataTransferStep
from mlpipelines.model.compute_registry import read_record
from mlpipelines.translate.spec import read_spec

pytestmark = pytest.mark.e2e

API = "/mlpipelines/api/v1"


@pytest.fixture
def laptop(airflow: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    """The client's whole configuration: the Airflow URL and a token, in its own folder."""
    api = airflow.api  # type: ignore[attr-defined]
    folder = tmp_path / "laptop"
    folder.mkdir()
    config = {"airflow_url": api.base_url, "token": api.token()}
    (folder / "config.json").write_text(json.dumps(config))
    monkeypatch.chdir(folder)
    return Workspace.from_config()


def _server(airflow: object) -> Workspace:
    return Workspace.from_config(airflow.home / "config.json")  # type: ignore[attr-defined]


def test_the_client_needs_nothing_but_the_url_and_a_token(laptop: Workspace) -> None:
    assert laptop.home is None and laptop.uses_rest_store
    assert laptop.get_default_datastore().name == "workspaceblobstore"
    assert laptop.get_details()["defaultDatastore"] == "workspaceblobstore"
    assert "RestControlStore" in repr(laptop.remote_control_store)


def test_a_pipeline_submitted_and_published_over_rest_runs_on_the_server(
    airflow: object, laptop: Workspace
) -> None:
    """Submit, publish the run and run the published pipeline by its AML-style REST URL:
    nothing is written by the client outside the REST API."""
    home: Path = airflow.home  # type: ignore[attr-defined]
    raw = home / "mlpipelines" / "workspaceblobstore" / "raw-rest" / "numbers.csv"
    raw.parent.mkdir(parents=True, exist_ok=True)
    raw.write_text("n\n1\n2\n3\n")
    store = Datastore.get(laptop, "workspaceblobstore")
    source = DataReference(store, data_reference_name="raw", path_on_datastore="raw-rest")
    copied = PipelineData("copied", datastore=store)
    step = DataTransferStep(
        "copy_raw",
        source_data_reference=source,
        destination_data_reference=copied,
        source_reference_type="directory",
        destination_reference_type="directory",
    )
    before = set(Path.cwd().rglob("*"))

    run = Experiment(laptop, "rest_only_copy").submit(Pipeline(laptop, steps=[step]))
    assert run.wait_for_completion(show_output=False) == "Finished"
    published = run.publish_pipeline(name="rest_only_copy_pub", description="over REST")

    assert set(Path.cwd().rglob("*")) == before  # the laptop kept nothing
    server = _server(airflow)
    assert read_spec("rest_only_copy", server)["dag_id"] == "rest_only_copy"
    assert PublishedPipeline.get(server, published.id).name == "rest_only_copy_pub"

    token = airflow.api.token()  # type: ignore[attr-defined]
    answer = httpx.post(
        published.endpoint,
        json={"ExperimentName": "rest_only_rest"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )
    assert answer.status_code == 200, answer.text
    final = airflow.api.wait_for_run(  # type: ignore[attr-defined]
        answer.json()["DagId"], answer.json()["Id"], timeout=300
    )
    assert final["state"] == "success"
    # The copy (the published run reuses it) went local folder -> local folder through the
    # kernel's copy: whole, byte for byte, and no hidden partial left beside it.
    store_root = raw.parents[1]
    copies = sorted((store_root / "pipelinedata").glob("rest_only_*/*/copy_raw/copied/**/*"))
    files = [c for c in copies if c.is_file()]
    assert [f.name for f in files] == ["numbers.csv"], copies
    assert all(f.read_bytes() == raw.read_bytes() for f in files)
    assert not [c for c in copies if ".partial-" in c.name]


def test_a_compute_target_created_from_the_client_is_seen_by_the_server(
    airflow: object, laptop: Workspace
) -> None:
    config = AmlCompute.provisioning_configuration(vm_size="STANDARD_D2_V2", max_nodes=2)
    target = ComputeTarget.create(laptop, "rest-cluster", config)
    target.wait_for_completion(show_output=False)
    record = read_record("rest-cluster", _server(airflow))
    assert record is not None and record["settings"]["max_nodes"] == 2
    assert "rest-cluster" in [t.name for t in ComputeTarget.list(laptop)]


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("PUT", "/control/documents/reuse/x.json", {}, 422),  # not a control collection
        ("PUT", "/control/documents/specs/x.txt", {}, 422),
        ("PUT", "/control/documents/specs/x.json", [1, 2], 422),  # not a JSON object
        ("GET", "/control/documents/specs/never-stored.json", None, 404),
        ("GET", "/control/folders/reuse", None, 422),
    ],
)
def test_the_control_routes_refuse_bad_requests_clearly(
    airflow: object, method: str, path: str, body: object, status: int
) -> None:
    api = airflow.api  # type: ignore[attr-defined]
    response = (
        api.request(method, f"{API}{path}", json=body)
        if body is not None
        else (api.request(method, f"{API}{path}"))
    )
    assert response.status_code == status, response.text
    assert response.json()["detail"]


def test_documents_are_created_once_size_limited_and_need_a_credential(airflow: object) -> None:
    api = airflow.api  # type: ignore[attr-defined]
    path = f"{API}/control/documents/modules/rest-probe/1.json"
    assert api.request("POST", path, json={"v": 1}).status_code == 201
    second = api.request("POST", path, json={"v": 2})
    assert second.status_code == 409
    assert api.request("GET", path).json() == {"v": 1}

    huge = {"blob": "x" * (16 * 1024 * 1024 + 1)}
    too_big = api.request("PUT", f"{API}/control/documents/specs/huge.json", json=huge)
    assert too_big.status_code == 413
    assert "at most" in too_big.json()["detail"]
    assert api.request("GET", f"{API}/control/documents/specs/huge.json").status_code == 404

    anonymous = httpx.get(f"{api.base_url}{API}/control/folders/specs", timeout=30)
    assert anonymous.status_code in (401, 403)


def test_a_module_published_from_the_client_is_kept_by_the_deployment(
    airflow: object, laptop: Workspace, tmp_path: Path
) -> None:
    """Module versions go up over REST too: the record in the control store, the snapshot
    through the plugin (the laptop has no datastore)."""
    from mlpipelines.azureml.pipeline.core.module import Module

    src = tmp_path / "module_src"
    src.mkdir()
    (src / "add.py").write_text("print('adding')\n")
    module = Module.create(laptop, name="rest_only_module", description="over REST")
    version = module.publish_python_script("add.py", source_directory=str(src), version="1")
    assert version.version == "1"
    again = Module.get(_server(airflow), name="rest_only_module")
    assert [v.version for v in again.module_version_list()] == ["1"]
    resolved = again.resolve("1")
    assert resolved.version == "1"
