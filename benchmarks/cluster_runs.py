"""50 concurrent runs on the distributed deployment (``scripts/cluster.sh``): the five-step
pipeline of the cluster tests, submitted and published from a client home holding only the
Airflow URL and a token and run over its AML-style REST endpoint, against the same pipeline
written by hand as BashOperators that move their data through the same Azure Blob container
(``cluster_twin/twin_five.py``), on the same cluster in the same run. Each batch uses fresh
seeds, so nothing is reused. Target: wall-time ratio <= 1.15.

    .venv/bin/python benchmarks/cluster_runs.py [--runs 50] [--rounds 1] [--dir DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "cluster"))
import five_steps as five  # noqa: E402

from mlpipelines.client.airflow_api import AirflowApi  # noqa: E402
from mlpipelines.model.workspace import Workspace  # noqa: E402

CLUSTER_SH = REPO / "scripts" / "cluster.sh"
TWIN = Path(__file__).resolve().parent / "cluster_twin"


def cluster_sh(*args: str) -> None:
    subprocess.run([str(CLUSTER_SH), *args], check=True, capture_output=True, timeout=900)


def wait_all(api: AirflowApi, dag_id: str, run_ids: list[str]) -> list[dict[str, Any]]:
    return [api.wait_for_run(dag_id, run_id, timeout=3600) for run_id in run_ids]


def batch(api: AirflowApi, start: Any, dag_id: str, seeds: list[int]) -> tuple[float, list[str]]:
    """Wall time from the first request to the last run's end, and the run ids; every run
    must succeed."""
    began = time.monotonic()
    with ThreadPoolExecutor(max_workers=25) as pool:
        run_ids = list(pool.map(start, seeds))
    finals = wait_all(api, dag_id, run_ids)
    took = time.monotonic() - began
    failed = [f["dag_run_id"] for f in finals if f["state"] != "success"]
    if failed:
        raise SystemExit(f"{dag_id}: {len(failed)} runs failed, e.g. {failed[0]}")
    return took, run_ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--dir", help="an existing cluster.sh folder (default: start one)")
    options = parser.parse_args()
    folder = Path(options.dir) if options.dir else Path(tempfile.mkdtemp(prefix="mlp-bench-"))
    started_here = not options.dir
    if started_here:
        print(f"cluster.sh up {folder} ...", flush=True)
        cluster_sh("up", str(folder))
    try:
        run(folder, options.runs, options.rounds)
    finally:
        if started_here:
            cluster_sh("down", str(folder))
            shutil.rmtree(folder, ignore_errors=True)


def run(folder: Path, runs: int, rounds: int) -> None:
    state = json.loads((folder / "cluster.json").read_text())
    laptop = Path(tempfile.mkdtemp(prefix="mlp-laptop-"))
    shutil.copy(folder / "client" / "config.json", laptop / "config.json")
    src = five.copy_sources(laptop)
    cwd = Path.cwd()
    os.chdir(laptop)
    try:
        ws = Workspace.from_config()
    finally:
        os.chdir(cwd)
    api = AirflowApi.from_workspace(ws)
    from mlpipelines.azureml.core import Experiment

    print("submitting and publishing the pipeline from the client home ...", flush=True)
    submitted = Experiment(ws, "bench_five").submit(
        five.five_steps(ws, src), pipeline_parameters={"seed": 1}
    )
    submitted.wait_for_completion(show_output=False)
    published = submitted.publish_pipeline(name="bench_five_published")
    twin_dir = Path(tempfile.mkdtemp(prefix="mlp-twin-"))
    shutil.copytree(TWIN, twin_dir / "twin", dirs_exist_ok=True)
    shutil.copytree(five.SOURCES, twin_dir / "twin" / "laptop", dirs_exist_ok=True)
    cluster_sh("dags", str(folder), *(str(p) for p in (twin_dir / "twin").iterdir()))
    api.wait_for_dag("twin_five", timeout=180)
    api.call("PATCH", "/api/v2/dags/twin_five", json={"is_paused": False})
    token = api.token()

    def start_pipeline(seed: int) -> str:
        import httpx

        answer = httpx.post(
            published.endpoint,
            json={"ExperimentName": "bench", "ParameterAssignments": {"seed": seed}},
            headers={"Authorization": f"Bearer {token}"},
            timeout=120,
        )
        answer.raise_for_status()
        return str(answer.json()["Id"])

    def start_twin(seed: int) -> str:
        return str(api.trigger("twin_five", {"seed": seed})["dag_run_id"])

    dag_id = published.dag_id
    warm = [start_twin(0)]
    wait_all(api, "twin_five", warm)
    times: dict[str, list[float]] = {"mlpipelines": [], "hand-written": []}
    seed = 1000
    for round_number in range(rounds):
        order = [
            ("hand-written", start_twin, "twin_five"),
            ("mlpipelines", start_pipeline, dag_id),
        ]
        if round_number % 2:  # alternate who goes first: the cluster warms up as it works
            order.reverse()
        for name, start, dag in order:
            seeds = list(range(seed, seed + runs))
            seed += runs
            took, run_ids = batch(api, start, dag, seeds)
            times[name].append(took)
            if name == "mlpipelines":  # the work was done, and done right
                connection = state["datastore"]["connection_string"]
                for checked, run_id in list(zip(seeds, run_ids, strict=True))[:3]:
                    found = five.outputs_of(api, connection, dag, run_id)
                    assert found == five.expected_files(checked), (checked, run_id)
            print(f"{name:>13}: {runs} runs in {took:6.1f} s", flush=True)
    ml, hand = min(times["mlpipelines"]), min(times["hand-written"])
    workers = sorted(state["workers"].values())
    print(
        f"\n{runs} concurrent runs of a 5-step pipeline on {', '.join(workers)}:\n"
        f"  mlpipelines  {ml:6.1f} s\n  hand-written {hand:6.1f} s\n"
        f"  ratio        {ml / hand:6.2f}   (target <= 1.15)"
    )


if __name__ == "__main__":
    main()
