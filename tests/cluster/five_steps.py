"""The five-step pipeline the cluster tests and the cluster benchmark run: make -> (square,
shift) -> join -> total, seeded by a PipelineParameter, with every output's expected bytes
computed here so each run can be checksummed."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

SOURCES = Path(__file__).resolve().parent / "laptop"
STEPS = ("make", "square", "shift", "join", "total")
OUTPUT_OF = {"make": "numbers", "square": "squared", "shift": "shifted", "join": "joined",
             "total": "result"}  # fmt: skip
FILE_OF = {"make": "numbers.txt", "square": "values.txt", "shift": "values.txt",
           "join": "values.txt", "total": "result.json"}  # fmt: skip


def expected_files(seed: int) -> dict[str, bytes]:
    """Each step's output file (``<step>/<file>``), as the scripts in laptop/ write it."""
    numbers = [(seed * 7919 + i * 104729) % 100003 for i in range(2000)]
    squared = [n * n % 1000003 for n in numbers]
    shifted = [n + seed for n in numbers]
    joined = [a + b for a, b in zip(squared, shifted, strict=True)]

    def lines(values: list[int]) -> bytes:
        return ("\n".join(map(str, values)) + "\n").encode()

    raw = lines(joined)
    result = {"sha256": hashlib.sha256(raw).hexdigest(), "total": sum(joined)}
    return {
        "make/numbers.txt": lines(numbers),
        "square/values.txt": lines(squared),
        "shift/values.txt": lines(shifted),
        "join/values.txt": raw,
        "total/result.json": json.dumps(result, sort_keys=True).encode(),
    }


def copy_sources(home: Path) -> Path:
    """The scripts, one folder per step (as a user's repository holds them), under ``home``."""
    for script in SOURCES.glob("*.py"):
        folder = home / "src" / script.stem
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy(script, folder / script.name)
    return home / "src"


def five_steps(ws: Any, src: Path) -> Any:
    """The pipeline, written as AML v1 code writes it (old import paths)."""
    from mlpipelines.azureml.pipeline.core import Pipeline, PipelineData, PipelineParameter
    from mlpipelines.azureml.pipeline.steps import PythonScriptStep

    seed = PipelineParameter("seed", default_value=1)
    store = ws.get_default_datastore()
    data = {name: PipelineData(name, datastore=store) for name in OUTPUT_OF.values()}

    def step(name: str, arguments: list[Any], inputs: list[Any]) -> Any:
        return PythonScriptStep(
            name=name,
            script_name=f"{name}.py",
            source_directory=str(src / name),
            arguments=[*arguments, "--out", data[OUTPUT_OF[name]]],
            inputs=inputs,
            outputs=[data[OUTPUT_OF[name]]],
        )

    steps = [
        step("make", ["--seed", seed], []),
        step("square", ["--data", data["numbers"]], [data["numbers"]]),
        step("shift", ["--data", data["numbers"], "--seed", seed], [data["numbers"]]),
        step(
            "join",
            ["--a", data["squared"], "--b", data["shifted"]],
            [data["squared"], data["shifted"]],
        ),
        step("total", ["--data", data["joined"]], [data["joined"]]),
    ]
    return Pipeline(ws, steps=steps)


def outputs_of(api: Any, connection_string: str, dag_id: str, run_id: str) -> dict[str, bytes]:
    """Every step's output file of one run, read from Azurite through the XCom references."""
    from azure.storage.blob import BlobServiceClient

    service = BlobServiceClient.from_connection_string(connection_string)
    from mlpipelines.client.airflow_api import AirflowApiError
    from mlpipelines.records.reserved import REUSE_TASK_ID, REUSE_XCOM_KEY
    from mlpipelines.runtime.step_context import reused_output

    found = {}
    reuse = None
    for step, output in OUTPUT_OF.items():
        try:
            ref = api.xcom(dag_id, run_id, step, f"output_{output}")
        except AirflowApiError:  # a reused step: its outputs are in the reuse sensor's XCom
            if reuse is None:
                reuse = api.xcom(dag_id, run_id, REUSE_TASK_ID, REUSE_XCOM_KEY)
            ref = reused_output(reuse, step, output)
            assert ref is not None, f"{step} has no output {output} in run {run_id}"
        blob = service.get_blob_client(ref["datastore"], f"{ref['path']}/{FILE_OF[step]}")
        found[f"{step}/{FILE_OF[step]}"] = blob.download_blob().readall()
    return found
