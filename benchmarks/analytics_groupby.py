"""Analytics step overhead: a GROUP BY over a 10M-row Parquet file, DuckDB run directly against
the same query through `run_analytics_step` (views, variables, reuse key, Parquet output,
publishing, artifacts). Alternates the two, 5 runs each, after one warm-up run of each (the
step's first run hashes the input; the stat cache serves it after that). Target: the step at
>= 0.9 of DuckDB's speed, i.e. a time ratio <= 1.11.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

WORK = Path(tempfile.mkdtemp(prefix="mlp-bench-analytics-"))
# Before mlpipelines is imported: the workspace and its datastores live under AIRFLOW_HOME.
os.environ["AIRFLOW_HOME"] = str(WORK / "home")
os.environ.pop("MLPIPELINES_DEFAULT_DATASTORE", None)
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "provider"))

import duckdb  # noqa: E402

from mlpipelines import AdlaStep, DataReference, Pipeline, PipelineData, Workspace  # noqa: E402
from mlpipelines.model.planning import plan_pipeline  # noqa: E402
from mlpipelines.runtime.analytics import run_analytics_step  # noqa: E402
from mlpipelines.runtime.step_context import StepContext  # noqa: E402

ROWS = 10_000_000
QUERY = "SELECT k, sum(v) AS total, count(*) AS n FROM {source} GROUP BY k"
RACY_WAIT = 2.1  # the stat cache does not trust files modified in the last 2 s
CONFIG = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}


def write_input(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(config=CONFIG) as con:
        con.execute(
            f"COPY (SELECT i % 1000 AS k, random() AS v FROM range({ROWS}) t(i)) "
            f"TO '{path}' (FORMAT parquet)"
        )


def run_direct(source: Path, out: Path) -> float:
    started = time.perf_counter()
    with duckdb.connect(config=CONFIG) as con:
        query = QUERY.format(source=f"read_parquet('{source}')")
        con.execute(f"COPY ({query}) TO '{out}' (FORMAT parquet)")
    return time.perf_counter() - started


def step_definition(source_dir: Path, relative_input: str) -> dict:
    ws = Workspace.current()
    source_dir.mkdir(parents=True, exist_ok=True)
    (source_dir / "groupby.sql").write_text(
        f"CREATE VIEW sums AS {QUERY.format(source='events')};\n", encoding="utf-8"
    )
    step = AdlaStep(
        name="groupby",
        script_name="groupby.sql",
        source_directory=str(source_dir),
        inputs=[DataReference(ws.get_default_datastore(), "events", relative_input)],
        outputs=[PipelineData("sums")],
    )
    return plan_pipeline(Pipeline(ws, [step])).tasks[0].definition


def run_step(definition: dict) -> tuple[float, Path]:
    ctx = StepContext(
        "bench_analytics",
        f"manual__{uuid.uuid4().hex[:8]}",
        "groupby",
        params={"regenerate_outputs": True},
        pull_output=lambda *_: None,
    )
    started = time.perf_counter()
    result = run_analytics_step(definition, ctx)
    took = time.perf_counter() - started
    assert result.reused is None and result.metrics == {"rows_sums": 1000}, result
    root = Workspace.current().datastore_root("workspaceblobstore")
    return took, root / result.outputs["sums"]["path"] / "sums.parquet"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5, help="runs of each (default 5)")
    args = parser.parse_args()

    relative = "bench/events.parquet"
    source = Workspace.current().datastore_root("workspaceblobstore") / relative
    write_input(source)
    print(f"input: {ROWS:,} rows, {source.stat().st_size / 1e6:.0f} MB at {source}")
    time.sleep(RACY_WAIT)
    definition = step_definition(WORK / "sql", relative)
    direct_out = WORK / "direct.parquet"

    first, _ = run_step(definition)
    warm = run_direct(source, direct_out)
    print(f"warm-up: step {first:.3f} s (hashes the input), direct {warm:.3f} s")
    times: dict[str, list[float]] = {"direct": [], "step": []}
    for _ in range(args.runs):
        times["direct"].append(run_direct(source, direct_out))
        took, step_out = run_step(definition)
        times["step"].append(took)
        print(f"  direct {times['direct'][-1]:.3f} s   step {took:.3f} s")

    check = "SELECT sum(total), sum(n) FROM read_parquet('{}')"
    with duckdb.connect(config=CONFIG) as con:
        ours = con.execute(check.format(step_out)).fetchall()[0]
        theirs = con.execute(check.format(direct_out)).fetchall()[0]
    assert ours[1] == theirs[1] == ROWS and abs(ours[0] - theirs[0]) < 1e-6 * ROWS, (ours, theirs)

    direct = statistics.median(times["direct"])
    step = statistics.median(times["step"])
    print(
        f"\nmedian of {args.runs}: DuckDB direct {direct:.3f} s   analytics step {step:.3f} s   "
        f"time ratio {step / direct:.3f} (speed {direct / step:.2f} of direct; target >= 0.9)"
    )


if __name__ == "__main__":
    try:
        main()
    finally:
        shutil.rmtree(WORK, ignore_errors=True)
