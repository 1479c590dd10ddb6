"""Pipelines on the distributed deployment, driven from a client home that holds only the
Airflow URL and a token: submit, publish, run over the AML-style REST endpoint, reuse across
workers, a one-node compute target across workers, 50 concurrent runs with every output
checksummed, and a worker killed in the middle of a step."""

from __future__ import annotations

import itertools
import os
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import five_steps as five
import httpx
import pytest

from mlpipelines.azureml.core import Experiment, Workspace
from mlpipelines.azureml.core.compute import AmlCompute, ComputeTarget
from mlpipelines.azureml.pipeline.core import Pipeline, PipelineData
from mlpipelines.azureml.pipeline.steps import PythonScriptStep

pytestmark = pytest.mark.cluster

STEPS = five.STEPS
EXPERIMENT = "mlpipelines_experiment"  # the conf key a REST run's ExperimentName goes to


@pytest.fixture(scope="module")
def laptop(cluster: Any, tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """The client: a home of its own with the cluster's config.json and its source folders."""
    home = tmp_path_factory.mktemp("laptop")
    shutil.copy(cluster.dir / "client" / "config.json", home / "config.json")
    five.copy_sources(home)
    cwd = Path.cwd()
    os.chdir(home)
    try:
        ws = Workspace.from_config()
    finally:
        os.chdir(cwd)
    ws.laptop_home = home  # type: ignore[attr-defined]
    return ws


def outputs_of(cluster: Any, dag_id: str, run_id: str) -> dict[str, bytes]:
    return five.outputs_of(
        cluster.api, cluster.state["datastore"]["connection_string"], dag_id, run_id
    )


def rest_run(cluster: Any, endpoint: str, seed: int, experiment: str) -> dict[str, Any]:
    """One run over the AML-style REST endpoint, as a notebook's requests.post does it."""
    answer = httpx.post(
        endpoint,
        json={"ExperimentName": experiment, "ParameterAssignments": {"seed": seed}},
        headers={"Authorization": f"Bearer {cluster.api.token()}"},
        timeout=120,
    )
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


@pytest.fixture(scope="module")
def published(cluster: Any, laptop: Workspace) -> dict[str, Any]:
    """The five-step pipeline submitted from the client (seed 3), then published."""
    run = Experiment(laptop, "cluster_five").submit(
        five.five_steps(laptop, laptop.laptop_home / "src"),  # type: ignore[attr-defined]
        pipeline_parameters={"seed": 3},
    )
    assert run.wait_for_completion(show_output=False) == "Finished"
    assert outputs_of(cluster, "cluster_five", run.id) == five.expected_files(3)
    pipeline = run.publish_pipeline(name="cluster_five_published", description="five steps")
    return {"run": run, "pipeline": pipeline}


def test_submitted_from_the_client_published_and_run_over_rest(cluster, published) -> None:
    answer = rest_run(cluster, published["pipeline"].endpoint, 5, "cluster_rest")
    final = cluster.api.wait_for_run(answer["DagId"], answer["Id"], timeout=600)
    assert final["state"] == "success"
    assert outputs_of(cluster, answer["DagId"], answer["Id"]) == five.expected_files(5)


def test_a_second_run_reuses_what_another_worker_made(cluster, published) -> None:
    endpoint = published["pipeline"].endpoint
    first = rest_run(cluster, endpoint, 7, "cluster_reuse")
    cluster.api.wait_for_run(first["DagId"], first["Id"], timeout=600)
    second = rest_run(cluster, endpoint, 7, "cluster_reuse")
    final = cluster.api.wait_for_run(second["DagId"], second["Id"], timeout=600)
    assert final["state"] == "success"
    tis = {t["task_id"]: t for t in cluster.api.task_instances(second["DagId"], second["Id"])}
    assert {tis[s]["state"] for s in STEPS} == {"skipped"}, tis
    assert outputs_of(cluster, second["DagId"], second["Id"]) == five.expected_files(7)


def test_a_one_node_target_runs_one_step_at_a_time_across_workers(cluster, laptop) -> None:
    config = AmlCompute.provisioning_configuration(vm_size="STANDARD_D2_V2", max_nodes=1)
    target = ComputeTarget.create(laptop, "one-node", config)
    target.wait_for_completion()
    src = laptop.laptop_home / "src" / "nap"  # type: ignore[attr-defined]
    naps = [
        PythonScriptStep(name=f"nap_{i}", script_name="nap.py", source_directory=str(src),
                         arguments=["4"], compute_target=target, allow_reuse=False)
        for i in range(4)
    ]  # fmt: skip
    run = Experiment(laptop, "cluster_one_node").submit(Pipeline(laptop, steps=naps))
    assert run.wait_for_completion(show_output=False) == "Finished"
    tis = cluster.api.task_instances("cluster_one_node", run.id)
    spans = sorted((t["start_date"], t["end_date"]) for t in tis if t["task_id"].startswith("nap_"))
    assert len(spans) == 4
    for (_, end), (start, _) in itertools.pairwise(spans):
        assert end <= start, f"two steps of the one-node target ran at once: {spans}"
    pools = {t["pool"] for t in tis if t["task_id"].startswith("nap_")}
    assert len(pools) == 1 and pools != {"default_pool"}, pools


def test_fifty_concurrent_runs_lose_nothing_and_duplicate_nothing(cluster, published) -> None:
    endpoint = published["pipeline"].endpoint
    seeds = list(range(100, 150))
    with ThreadPoolExecutor(max_workers=25) as pool:
        answers = list(pool.map(lambda s: rest_run(cluster, endpoint, s, "cluster_fifty"), seeds))
    run_ids = [a["Id"] for a in answers]
    assert len(set(run_ids)) == 50
    dag_id = answers[0]["DagId"]
    finals = [cluster.api.wait_for_run(dag_id, r, timeout=1800) for r in run_ids]
    assert [f["state"] for f in finals] == ["success"] * 50
    hosts = set()
    for seed, run_id in zip(seeds, run_ids, strict=True):
        assert outputs_of(cluster, dag_id, run_id) == five.expected_files(seed), seed
        hosts |= {t["hostname"] for t in cluster.api.task_instances(dag_id, run_id)
                  if t["task_id"] in STEPS}  # fmt: skip
    assert hosts == set(cluster.state["workers"].values())  # steps landed on both workers
    # Exactly one run per request: no retry of a request made a second one.
    listed = cluster.api.call("GET", f"/api/v2/dags/{dag_id}/dagRuns", params={"limit": 1000})[
        "dag_runs"
    ]
    fifty = [
        r for r in listed if (r["conf"] or {}).get("mlpipelines_experiment") == "cluster_fifty"
    ]
    assert sorted(r["dag_run_id"] for r in fifty) == sorted(run_ids)


def test_a_worker_killed_mid_step_is_retried_on_the_other_worker(cluster, laptop) -> None:
    """Runs last: it leaves one worker dead."""
    src = laptop.laptop_home / "src" / "slow"  # type: ignore[attr-defined]
    out = PipelineData("halves", datastore=laptop.get_default_datastore())
    slow = PythonScriptStep(name="slow", script_name="slow.py", source_directory=str(src),
                            arguments=["--out", out, "--seconds", "40"], outputs=[out],
                            allow_reuse=False)  # fmt: skip
    run = Experiment(laptop, "cluster_kill").submit(Pipeline(laptop, steps=[slow]))
    deadline = time.monotonic() + 300
    while True:
        ti = next(t for t in cluster.api.task_instances("cluster_kill", run.id)
                  if t["task_id"] == "slow")  # fmt: skip
        if ti["state"] == "running" and ti["hostname"]:
            break
        assert time.monotonic() < deadline, ti
        time.sleep(1)
    time.sleep(5)  # the first half is written
    victim = cluster.worker_of(ti["hostname"])
    cluster.kill_worker(victim)
    assert run.wait_for_completion(show_output=False, timeout_seconds=900) == "Finished"
    ti = next(
        t for t in cluster.api.task_instances("cluster_kill", run.id) if t["task_id"] == "slow"
    )
    assert ti["try_number"] == 2
    assert ti["hostname"] != cluster.state["workers"][victim]
    ref = cluster.api.xcom("cluster_kill", run.id, "slow", "output_halves")
    blobs = cluster.blobs(ref["datastore"])
    mine = sorted(n for n in blobs if n.startswith(ref["path"] + "/"))
    assert mine == [f"{ref['path']}/part1.txt", f"{ref['path']}/part2.txt"]
    # The killed attempt's half is nowhere under the run's data either.
    run_prefix = ref["path"].rsplit("/", 1)[0]
    assert [n for n in blobs if n.startswith(run_prefix) and n not in mine] == []
