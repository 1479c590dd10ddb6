"""What a finished run leaves to inspect without Airflow: an output's port data reference
downloaded as the samples do, and the files a run kept, listed and downloaded."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlpipelines.azureml.core import Workspace
from mlpipelines.azureml.pipeline.core import PortDataReference
from mlpipelines.azureml.pipeline.core.run import StepRunOutput
from mlpipelines.client.run_files import RunFiles
from mlpipelines.errors import UserErrorException


@pytest.fixture
def ws(tmp_path):
    return Workspace(airflow_url="http://127.0.0.1:9", home=str(tmp_path / "home"))


def _output(ws, path):
    store = ws.get_default_datastore()
    folder = store.root / path
    folder.mkdir(parents=True)
    (folder / "part-0.csv").write_text("a,b\n1,2\n")
    return {
        "datastore": store.name,
        "path": path,
        "uri": store.location.uri(path),
        "store": store.spec.to_dict(),
        "fingerprint": None,
    }


def test_get_output_data_download_as_the_samples_do(ws, tmp_path):
    ref = _output(ws, "pipelinedata/exp/run_1/prep/processed_data")
    output = PortDataReference(ws, "processed_data", ref)
    port = output.get_port_data_reference()
    assert StepRunOutput is PortDataReference and port is output
    assert (port.datastore_name, port.path_on_datastore) == (
        "workspaceblobstore",
        "pipelinedata/exp/run_1/prep/processed_data",
    )
    local = port.download(str(tmp_path / "download1"), show_progress=False)
    assert local == str(tmp_path / "download1" / "pipelinedata/exp/run_1/prep/processed_data")
    assert (tmp_path / "download1" / ref["path"] / "part-0.csv").read_text() == "a,b\n1,2\n"
    # Earlier releases returned the XCom reference itself: it still reads that way.
    assert output["uri"] == ref["uri"] and set(output) == set(ref)


def test_run_files_list_and_download(ws, tmp_path):
    root = ws.get_default_datastore().root / "artifacts" / "exp" / "manual__2026_1"
    (root / "prep").mkdir(parents=True)
    (root / "prep" / "stdout.txt").write_text("prepared 3 rows\n")
    (root / "prep" / "metrics.json").write_text("{}\n")
    run_files = RunFiles(ws, "exp", "manual__2026:1", None)
    assert run_files.names() == ["prep/metrics.json", "prep/stdout.txt"]
    step_files = RunFiles(ws, "exp", "manual__2026:1", "prep")
    assert step_files.names() == ["metrics.json", "stdout.txt"]
    target = step_files.download("stdout.txt", str(tmp_path / "got.txt"))
    assert Path(target).read_text() == "prepared 3 rows\n"
    (tmp_path / "into").mkdir()
    assert run_files.download("prep/stdout.txt", str(tmp_path / "into")).endswith("into/stdout.txt")
    assert step_files.read_text("stderr.txt") is None
    with pytest.raises(UserErrorException, match=r"no file 'model.pkl'.*metrics.json, stdout.txt"):
        step_files.download("model.pkl")
    assert RunFiles(ws, "exp", "never_ran", None).names() == []
