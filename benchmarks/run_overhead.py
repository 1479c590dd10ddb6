"""Run-time overhead: a 20-step chain of trivial scripts triggered through REST, translated
pipeline vs a hand-written BashOperator DAG running the same scripts, on one local Airflow.

Runs alternate (pipeline, bash, pipeline, ...) so drift in machine load hits both alike; the
figure per run is Airflow's own start-to-end time of the DAG run, and beside it the sum of
its tasks' own durations (what the steps cost, without the scheduler's waits between them).
Pipeline runs pass ``regenerate_outputs=true`` so every step executes (and still pays for its
reuse key and manifest), as the BashOperator tasks do.

A LocalExecutor worker holds its slot for up to ``[workers] min_heartbeat_interval`` after a
task ends, which stalls the next task at random. ``--heartbeat`` sets it for both DAGs:
Airflow's default of 5 s is what users run (and what issue 11 measured); 1 s shrinks those
stalls so the scheduler's own gaps between tasks show.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from airflow_session import run_seconds, running_airflow
from dag_files import bash_dag_file, pipeline_dag_file, write_step_script

STEPS = 20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=6, help="runs of each DAG (default 6)")
    parser.add_argument(
        "--heartbeat",
        type=int,
        default=5,
        help="[workers] min_heartbeat_interval in seconds (default 5, Airflow's own)",
    )
    args = parser.parse_args()
    os.environ["AIRFLOW__WORKERS__MIN_HEARTBEAT_INTERVAL"] = str(args.heartbeat)

    work = Path(tempfile.mkdtemp(prefix="mlp-bench-run-"))
    source = write_step_script(work / "src")
    dags = work / "dags"
    dags.mkdir()
    (dags / "chain_pipeline.py").write_text(pipeline_dag_file("chain_pipeline", STEPS, source))
    (dags / "chain_bash.py").write_text(bash_dag_file("chain_bash", STEPS, source, work / "data"))
    with running_airflow(work / "home", dags) as api:
        times: dict[str, list[float]] = {"chain_pipeline": [], "chain_bash": []}
        busy: dict[str, list[float]] = {"chain_pipeline": [], "chain_bash": []}
        for dag_id in times:
            api.wait_for_dag(dag_id)
            warm = api.trigger(dag_id)  # first run pays one-off costs (DAG file caches)
            assert api.wait_for_run(dag_id, warm["dag_run_id"])["state"] == "success"
        conf = {"chain_pipeline": {"regenerate_outputs": True}, "chain_bash": {}}
        for _ in range(args.runs):
            for dag_id, found in times.items():
                started = time.monotonic()
                triggered = api.trigger(dag_id, conf[dag_id])
                run = api.wait_for_run(dag_id, triggered["dag_run_id"], poll=0.2)
                assert run["state"] == "success", run
                found.append(run_seconds(run))
                tasks = api.task_instances(dag_id, triggered["dag_run_id"])
                busy[dag_id].append(sum(run_seconds(t) for t in tasks if t.get("end_date")))
                print(
                    f"  {dag_id}: {found[-1]:.2f} s, tasks {busy[dag_id][-1]:.2f} s "
                    f"(client {time.monotonic() - started:.2f} s)"
                )
        ours = statistics.median(times["chain_pipeline"])
        base = statistics.median(times["chain_bash"])
        print(
            f"\n{STEPS}-step chain, median of {args.runs} runs each, heartbeat {args.heartbeat} s"
        )
        print(f"pipeline {ours:.2f} s   bash {base:.2f} s   ratio {ours / base:.3f}")
        ours = statistics.median(busy["chain_pipeline"])
        base = statistics.median(busy["chain_bash"])
        print(
            f"sum of task durations: pipeline {ours:.2f} s   bash {base:.2f} s   ratio "
            f"{ours / base:.3f} (the pipeline's include its reuse sensor)"
        )


if __name__ == "__main__":
    main()
