"""The old SDK's "train, then register the model" flow on the real Airflow, written as its
tutorial writes it: a ScriptRunConfig whose script logs metrics and dumps the model into
``./outputs``; the notebook waits, reads the metrics, lists and downloads the files and
registers the model from the run."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from mlpipelines.azureml.core import Experiment, Model, ScriptRunConfig, Workspace
from mlpipelines.errors import UserErrorException

pytestmark = pytest.mark.e2e

TRAIN = """import argparse, os, pickle
from mlpipelines.azureml.core import Run

parser = argparse.ArgumentParser()
parser.add_argument("--regularization", type=float, default=0.01)
args = parser.parse_args()
run = Run.get_context()
run.log("regularization rate", args.regularization)
run.log("accuracy", 0.9)
os.makedirs("outputs", exist_ok=True)
with open("outputs/model.pkl", "wb") as sink:
    pickle.dump({"reg": args.regularization}, sink)
os.makedirs("outputs/extra", exist_ok=True)
open("outputs/extra/labels.txt", "w").write("cat\\ndog\\n")
"""


def test_a_script_run_keeps_its_outputs_and_registers_the_model(airflow, tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "train.py").write_text(TRAIN)
    ws = Workspace.from_config(airflow.home / "config.json")
    src = ScriptRunConfig(
        source_directory=str(tmp_path / "src"),
        script="train.py",
        arguments=["--regularization", 0.5],
    )
    run = Experiment(workspace=ws, name="sklearn-mnist").submit(config=src)
    run.wait_for_completion(show_output=False)

    assert run.get_metrics() == {"regularization rate": 0.5, "accuracy": 0.9}
    names = run.get_file_names()
    assert {"outputs/model.pkl", "outputs/extra/labels.txt", "stdout.txt"} <= set(names)
    local = run.download_file(name="outputs/model.pkl", output_file_path=str(tmp_path / "m.pkl"))
    assert pickle.loads(Path(local).read_bytes()) == {"reg": 0.5}

    model = run.register_model(
        model_name="sklearn_mnist", model_path="outputs/model.pkl", tags={"area": "mnist"}
    )
    assert (model.name, model.version, model.tags) == ("sklearn_mnist", 1, {"area": "mnist"})
    assert Model.list(ws, name="sklearn_mnist")[0].run_id.endswith("/train")
    fetched = Path(Model(ws, "sklearn_mnist").download(target_dir=str(tmp_path / "dl")))
    assert pickle.loads(fetched.read_bytes()) == {"reg": 0.5}

    folder = run.register_model(model_name="with_labels", model_path="outputs/extra")
    copied = Path(folder.download(target_dir=str(tmp_path / "dl2")))
    assert (copied / "labels.txt").read_text() == "cat\ndog\n"
    with pytest.raises(UserErrorException, match=r"no file or folder 'outputs/missing\.pkl'"):
        run.register_model(model_name="nope", model_path="outputs/missing.pkl")
