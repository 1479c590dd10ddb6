"""AML's secrets-in-runs flow on the real Airflow: a notebook sets a secret in the workspace's
Keyvault, a step's script reads it with ``Run.get_context().get_secret``, and the value is in
no log, XCom, artifact, output or environment; listing and deleting work from the client."""

from __future__ import annotations

import hashlib
import json
import uuid

import pytest

from mlpipelines.azureml.core import Experiment, Workspace
from mlpipelines.azureml.pipeline.core import Pipeline, PipelineData
from mlpipelines.azureml.pipeline.steps import PythonScriptStep
from mlpipelines.errors import UserErrorException

pytestmark = pytest.mark.e2e

READER = """
import argparse, hashlib, json, os
from azureml.core import Run

parser = argparse.ArgumentParser()
parser.add_argument("--out")
args = parser.parse_args()
run = Run.get_context()
value = run.get_secret(name="db-password-{suffix}")
both = run.get_secrets(secrets=["db-password-{suffix}", "api-key-{suffix}"])
missing = ""
try:
    run.get_secret("never-set-{suffix}")
except Exception as exc:
    missing = str(exc)
in_environment = any(value in v for v in os.environ.values())
os.makedirs(args.out, exist_ok=True)
with open(os.path.join(args.out, "seen.json"), "w") as sink:
    json.dump({{
        "sha256": hashlib.sha256(value.encode()).hexdigest(),
        "both": sorted(both),
        "api_key_sha256": hashlib.sha256(both["api-key-{suffix}"].encode()).hexdigest(),
        "missing": missing,
        "in_environment": in_environment,
    }}, sink)
print("read the secrets")
"""


def test_a_step_reads_a_keyvault_secret_that_goes_nowhere_else(airflow, tmp_path):
    ws = Workspace.from_config(airflow.home / "config.json")
    suffix = uuid.uuid4().hex[:8]
    secret, api_key = f"s3cr3t-{uuid.uuid4().hex}", f"key-{uuid.uuid4().hex}"
    keyvault = ws.get_default_keyvault()
    keyvault.set_secret(name=f"db-password-{suffix}", value="stale value, replaced below")
    keyvault.set_secrets({f"db-password-{suffix}": secret, f"api-key-{suffix}": api_key})
    keyvault.set_secret(f"typed-{suffix}", "x", content_type="text/plain")
    names = [s["name"] for s in keyvault.list_secrets()]
    assert {f"db-password-{suffix}", f"api-key-{suffix}", f"typed-{suffix}"} <= set(names)
    assert keyvault.get_secret_content_type(f"typed-{suffix}") == "text/plain"
    with pytest.raises(UserErrorException, match="only inside a step"):
        keyvault.get_secret(f"db-password-{suffix}")

    (tmp_path / "src").mkdir()
    # The script as AML users wrote it, after the one import edit.
    (tmp_path / "src" / "read.py").write_text(
        READER.format(suffix=suffix).replace("from azureml.core", "from mlpipelines.azureml.core")
    )
    seen_data = PipelineData("seen", datastore=ws.get_default_datastore())
    step = PythonScriptStep(
        name="read_secret",
        script_name="read.py",
        source_directory=str(tmp_path / "src"),
        arguments=["--out", seen_data],
        outputs=[seen_data],
        allow_reuse=False,
    )
    experiment = Experiment(ws, f"keyvault_{suffix}")
    run = experiment.submit(Pipeline(ws, [step]))
    assert run.wait_for_completion(show_output=False, timeout_seconds=300) == "Finished"

    seen = json.loads(
        (
            airflow.output_path(experiment.name, run.id, "read_secret", "seen") / "seen.json"
        ).read_text()
    )
    assert seen["sha256"] == hashlib.sha256(secret.encode()).hexdigest()
    assert seen["api_key_sha256"] == hashlib.sha256(api_key.encode()).hexdigest()
    assert seen["both"] == [f"api-key-{suffix}", f"db-password-{suffix}"]
    assert f"no secret named 'never-set-{suffix}'" in seen["missing"]
    assert seen["in_environment"] is False

    log = run.find_step_run("read_secret")[0].get_logs()
    assert f"read secret(s): db-password-{suffix}" in log, log[-2000:]
    values = airflow.xcom_values(experiment.name, run.id, "read_secret")
    for value in (secret, api_key):
        assert value not in log and value not in str(values)
        assert airflow.files_holding(value) == []

    keyvault.delete_secrets([f"db-password-{suffix}", f"api-key-{suffix}", f"typed-{suffix}"])
    assert not {s["name"] for s in keyvault.list_secrets()} & {f"db-password-{suffix}"}
    with pytest.raises(UserErrorException, match="no secret named"):
        keyvault.delete_secret(f"db-password-{suffix}")
