"""A step's script holds none of Airflow's secrets: it reports its whole environment and the
files in its reach (its folder, work and temp folders), and neither holds the JWT secret, the
API secret key, the Fernet key nor the database URL; the local Airflow's own files are for its
user alone."""

from __future__ import annotations

import json
import stat
import uuid

import pytest

from mlpipelines.azureml.core import Experiment, Workspace
from mlpipelines.azureml.pipeline.core import Pipeline, PipelineData
from mlpipelines.azureml.pipeline.steps import PythonScriptStep
from mlpipelines.cli.local_airflow import SECRETS_FILE

pytestmark = pytest.mark.e2e

PROBE = """
import json, os, sys, tempfile

out = sys.argv[sys.argv.index("--out") + 1]
seen = {"environ": dict(os.environ), "files": {}}
work = os.path.dirname(os.environ["MLPIPELINES_METRICS_FILE"])
roots = {os.getcwd(), tempfile.gettempdir(), work}
assert tempfile.gettempdir().startswith(work), "a temp folder shared with other steps"
for root in roots:
    for folder, _, names in os.walk(root):
        for name in names:
            path = os.path.join(folder, name)
            try:
                with open(path, "rb") as source:
                    seen["files"][path] = source.read(1 << 20).decode("latin-1")
            except OSError:
                pass
with open(os.path.join(out, "seen.json"), "w") as sink:
    json.dump(seen, sink)
"""


def test_a_script_sees_no_airflow_secret(airflow, tmp_path):
    ws = Workspace.from_config(airflow.home / "config.json")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "probe.py").write_text(PROBE)
    seen_data = PipelineData("seen", datastore=ws.get_default_datastore())
    probe = PythonScriptStep(
        name="probe",
        script_name="probe.py",
        source_directory=str(tmp_path / "src"),
        arguments=["--out", seen_data],
        outputs=[seen_data],
        allow_reuse=False,
    )
    experiment = Experiment(ws, f"canary_{uuid.uuid4().hex[:8]}")
    run = experiment.submit(Pipeline(ws, [probe]))
    assert run.wait_for_completion(show_output=False, timeout_seconds=300) == "Finished"
    seen = json.loads(
        (airflow.output_path(experiment.name, run.id, "probe", "seen") / "seen.json").read_text()
    )

    secrets = json.loads((airflow.home / SECRETS_FILE).read_text())
    canaries = [*secrets.values(), str(airflow.home / "airflow.db")]
    environ = seen["environ"]
    assert not [name for name in environ if name.startswith(("AIRFLOW__", "AIRFLOW_CONN_"))]
    assert "PATH" in environ and environ["MLPIPELINES_STEP_NAME"] == "probe"
    everything = json.dumps(environ) + "".join(seen["files"].values())
    assert [c for c in canaries if c in everything] == []
    assert seen["files"], "the probe read no file: it proves nothing"

    # The Airflow's own files are its user's alone: database, secrets, passwords, logs.
    for path in [airflow.home / "airflow.db", airflow.home / SECRETS_FILE]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    logs = [p for p in (airflow.home / "logs").rglob("*") if p.is_file()]
    assert logs and not [p for p in logs if p.stat().st_mode & 0o077], "a log others can read"
