"""Reuse overhead: a fully reused 50-step pipeline run against a one-task DAG run, on one
local Airflow. Reuse should cost a constant number of tasks (the reuse sensor), not one per
step: target wall-time ratio <= 2.0.

The run's own start-to-end time leaves out what happens once it has ended: the plugin's
listener then notes every reused step (in the scheduler, right after the run's final
commit). A second ratio counts it: from trigger to the client seeing all 50 notes, against
trigger to the client seeing the one-task run finished (both polled every 0.1 s).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))
from airflow_session import run_seconds, running_airflow
from dag_files import bash_dag_file, pipeline_dag_file, write_step_script

STEPS = 50


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=6, help="runs of each DAG (default 6)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="mlp-bench-reuse-"))
    source = write_step_script(work / "src")
    dags = work / "dags"
    dags.mkdir()
    (dags / "reused.py").write_text(pipeline_dag_file("reused", STEPS, source))
    (dags / "one_task.py").write_text(bash_dag_file("one_task", 1, source, work / "data"))
    with running_airflow(work / "home", dags) as api:
        for dag_id in ("reused", "one_task"):
            api.wait_for_dag(dag_id)
            first = api.wait_for_run(dag_id, api.trigger(dag_id)["dag_run_id"], timeout=900)
            assert first["state"] == "success", first
            print(f"first {dag_id} run (computes everything): {run_seconds(first):.1f} s")
        times: dict[str, list[float]] = {"reused": [], "one_task": []}
        seen: dict[str, list[float]] = {"reused": [], "one_task": []}
        for _ in range(args.runs):
            for dag_id, found in times.items():
                started = time.monotonic()
                run = api.wait_for_run(dag_id, api.trigger(dag_id)["dag_run_id"], poll=0.1)
                assert run["state"] == "success", run
                if dag_id == "reused":
                    steps = _noted_steps(api, dag_id, run["dag_run_id"])
                    assert {ti["state"] for ti in steps} == {"skipped"}, steps
                seen[dag_id].append(time.monotonic() - started)
                found.append(run_seconds(run))
                print(
                    f"  {dag_id}: {found[-1]:.2f} s (the client saw it end after "
                    f"{seen[dag_id][-1]:.2f} s)"
                )
        ours = statistics.median(times["reused"])
        base = statistics.median(times["one_task"])
        print(
            f"\nfully reused {STEPS}-step pipeline {ours:.2f} s   one-task DAG {base:.2f} s   "
            f"ratio {ours / base:.2f} (median of {args.runs} runs each)"
        )
        ours, base = statistics.median(seen["reused"]), statistics.median(seen["one_task"])
        print(
            f"trigger to all {STEPS} notes seen {ours:.2f} s   trigger to one-task run seen "
            f"finished {base:.2f} s   ratio {ours / base:.2f}"
        )


def _noted_steps(api, dag_id: str, run_id: str, timeout: float = 30.0) -> list[dict]:
    """The run's step task instances once every one carries its reuse note."""
    deadline = time.monotonic() + timeout
    path = f"/api/v2/dags/{dag_id}/dagRuns/{quote(run_id, safe='')}/taskInstances"
    while True:
        # One page of 100: the API's default page of 50 would leave a step out.
        listed = api.call("GET", path, params={"limit": 100})["task_instances"]
        steps = [ti for ti in listed if ti["task_id"] != "mlpipelines_reuse"]
        noted = [ti for ti in steps if (ti.get("note") or "").startswith("**Reused**")]
        if len(noted) == STEPS:
            return steps
        assert time.monotonic() < deadline, f"{len(noted)} of {STEPS} reused steps noted"
        time.sleep(0.1)


if __name__ == "__main__":
    main()
