"""Where the DagBag parse of the generated N-step pipeline DAG file goes, against its twins.

In one warm process (Airflow's BashOperator and mlpipelines pre-imported, as parse_time.py
does):

1. DagBag parse times (median) of the pipeline file, the twin with the Param, the twin
   without;
2. the pipeline file's work split into phases, each timed alone (median): building the model
   objects (PipelineData, PythonScriptStep), Pipeline(...), validate(), the rest of
   plan_pipeline (step_definition, registered_target, step_doc_md), render_dag (operators,
   set_upstream, the reuse sensor), and what DagBag adds around the module;
   the twin's operator loop is split the same way;
3. inside render_dag: operator construction vs set_upstream vs the sensor, and the cost of
   Airflow's __init__ wrappers (param deep copies) as counted by a profile;
4. a cProfile of one DagBag parse of each file, sorted by cumulative and by tottime, plus
   tottime summed per package (mlpipelines / airflow.sdk / other airflow / stdlib ...).

    .venv/bin/python benchmarks/parse_profile.py [--steps 1000] [--repeats 7] [--top 30]
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import os
import pstats
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

WORK = Path(tempfile.mkdtemp(prefix="mlp-bench-parseprof-"))
os.environ["AIRFLOW_HOME"] = str(WORK / "home")
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"

sys.path.insert(0, str(Path(__file__).resolve().parent))
import airflow.providers.standard.operators.bash  # noqa: E402,F401
from airflow.dag_processing.dagbag import DagBag  # noqa: E402
from dag_files import bash_dag_file, pipeline_dag_file, write_step_script  # noqa: E402

import mlpipelines  # noqa: E402
import mlpipelines.translate.render  # noqa: E402,F401


def median_ms(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        gc.collect()
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def parse(file: Path) -> None:
    bag = DagBag(str(file), collect_dags=False)
    bag.process_file(str(file))
    assert not bag.import_errors, bag.import_errors


# -- the pipeline file's body, in phases ------------------------------------------------------
def build_steps(n: int, source: Path):
    from mlpipelines import PipelineData, PythonScriptStep, Workspace

    ws = Workspace.current()
    store = ws.get_default_datastore()
    steps = []
    previous = None
    for i in range(n):
        out = PipelineData(f"out_{i}", datastore=store)
        args = ["--out", out] if previous is None else ["--in", previous, "--out", out]
        steps.append(
            PythonScriptStep(
                name=f"step_{i}",
                script_name="step.py",
                source_directory=str(source),
                arguments=args,
                inputs=[] if previous is None else [previous],
                outputs=[out],
            )
        )
        previous = out
    return ws, steps


def phases(n: int, source: Path, repeats: int) -> dict[str, float]:
    from mlpipelines import Pipeline
    from mlpipelines.model.planning import plan_pipeline
    from mlpipelines.translate.render import _render_tasks, render_dag
    from mlpipelines.translate.step_docs import step_doc_md

    out: dict[str, float] = {}
    out["model objects (PipelineData + PythonScriptStep x N)"] = median_ms(
        lambda: build_steps(n, source), repeats
    )
    ws, steps = build_steps(n, source)
    out["Pipeline(ws, steps) (closure)"] = median_ms(lambda: Pipeline(ws, steps), repeats)
    pipeline = Pipeline(ws, steps)
    out["pipeline.validate() (find_problems)"] = median_ms(
        lambda: pipeline.validate("pipeline"), repeats
    )
    out["plan_pipeline (incl. validate)"] = median_ms(
        lambda: plan_pipeline(pipeline, "pipeline"), repeats
    )
    plan = plan_pipeline(pipeline, "pipeline")
    out["  of which step_doc_md x N"] = median_ms(
        lambda: [step_doc_md(t.definition) for t in plan.tasks], repeats
    )
    out["render_dag (DAG + operators + set_upstream + sensor)"] = median_ms(
        lambda: render_dag(plan, "pipeline"), repeats
    )

    # inside render: operators alone (no wiring), and wiring alone
    from airflow.sdk import DAG, Param

    from mlpipelines.operators.python_script import PythonScriptStepOperator
    from mlpipelines.sensors.reuse import ReuseSensor
    from mlpipelines.translate.params import dag_params as _params
    from mlpipelines.translate.render import STEP_TRIGGER_RULE

    def operators_only() -> None:
        with DAG("ops", params=_params(plan), schedule=None):
            for spec in plan.tasks:
                PythonScriptStepOperator.for_step(
                    task_id=spec.task_id,
                    step=spec.definition,
                    reuse_task_id="mlpipelines_reuse",
                    doc_md=spec.doc_md,
                    trigger_rule=STEP_TRIGGER_RULE,
                )

    def operators_no_doc() -> None:
        with DAG("ops", params=_params(plan), schedule=None):
            for spec in plan.tasks:
                PythonScriptStepOperator.for_step(
                    task_id=spec.task_id,
                    step=spec.definition,
                    reuse_task_id="mlpipelines_reuse",
                    trigger_rule=STEP_TRIGGER_RULE,
                )

    def sensor_only() -> None:
        with DAG("ops", params=_params(plan), schedule=None):
            ReuseSensor(task_id="mlpipelines_reuse", steps=[t.definition for t in plan.tasks])

    def render_tasks_only() -> None:
        with DAG("ops", params=_params(plan), schedule=None):
            _render_tasks(plan, "rt", qualify=None)

    out["  DAG + _render_tasks (operators + wiring + sensor)"] = median_ms(
        render_tasks_only, repeats
    )
    out["  DAG + N PythonScriptStepOperator (no wiring)"] = median_ms(operators_only, repeats)
    out["  DAG + N PythonScriptStepOperator, no doc_md"] = median_ms(operators_no_doc, repeats)
    out["  DAG + ReuseSensor alone"] = median_ms(sensor_only, repeats)

    # The twin's loop, same split.
    from airflow.providers.standard.operators.bash import BashOperator

    def bash_ops(params: bool, wire: bool) -> None:
        declared = {"regenerate_outputs": Param(False, type="boolean")} if params else {}
        with DAG("twin", params=declared, schedule=None):
            previous = None
            for i in range(n):
                task = BashOperator(task_id=f"step_{i}", bash_command=f"python x --out {i}")
                if wire and previous is not None:
                    previous >> task
                previous = task

    out["twin+param: DAG + N BashOperator + >>"] = median_ms(lambda: bash_ops(True, True), repeats)
    out["twin+param: DAG + N BashOperator (no wiring)"] = median_ms(
        lambda: bash_ops(True, False), repeats
    )
    out["twin: DAG + N BashOperator + >> (no Param)"] = median_ms(
        lambda: bash_ops(False, True), repeats
    )
    out["twin: DAG + N BashOperator (no Param, no wiring)"] = median_ms(
        lambda: bash_ops(False, False), repeats
    )
    return out


# -- profiles ---------------------------------------------------------------------------------
def package_of(filename: str) -> str:
    if "/mlpipelines/" in filename:
        rel = filename.split("/mlpipelines/", 1)[1]
        return "mlpipelines/" + rel.split("/", 1)[0].removesuffix(".py")
    if "/airflow/sdk/" in filename:
        return "airflow.sdk"
    if "/airflow/" in filename:
        return "airflow (core)"
    if "site-packages" in filename:
        return "site-packages: " + filename.split("site-packages/", 1)[1].split("/", 1)[0]
    if filename.startswith("~") or filename == "~":
        return "builtins"
    return "stdlib: " + os.path.basename(filename)


def by_package(stats: pstats.Stats) -> list[tuple[str, float]]:
    totals: dict[str, float] = defaultdict(float)
    for (filename, _line, _name), (_cc, _nc, tt, _ct, _callers) in stats.stats.items():
        totals[package_of(filename)] += tt
    return sorted(totals.items(), key=lambda kv: -kv[1])


def cumulative_of(
    stats: pstats.Stats, wanted: list[tuple[str, str]]
) -> list[tuple[str, int, float]]:
    """(label, calls, cumulative s) of functions named ``name`` in files ending ``suffix``."""
    found = []
    for suffix, name in wanted:
        calls, cum = 0, 0.0
        for (filename, _line, fname), (_cc, nc, _tt, ct, _callers) in stats.stats.items():
            if fname == name and filename.endswith(suffix):
                calls += nc
                cum += ct
        found.append((f"{suffix}:{name}", calls, cum))
    return found


KEY_FUNCTIONS = [
    ("mlpipelines/model/planning.py", "plan_pipeline"),
    ("mlpipelines/model/validation.py", "find_problems"),
    ("mlpipelines/model/planning.py", "step_definition"),
    ("mlpipelines/model/compute.py", "registered_target"),
    ("mlpipelines/translate/step_docs.py", "step_doc_md"),
    ("mlpipelines/model/steps.py", "__init__"),
    ("mlpipelines/model/data.py", "__init__"),
    ("mlpipelines/model/pipeline.py", "__init__"),
    ("mlpipelines/translate/render.py", "render_dag"),
    ("mlpipelines/translate/render.py", "_render_tasks"),
    ("mlpipelines/operators/python_script.py", "__init__"),
    ("mlpipelines/sensors/reuse.py", "__init__"),
    ("airflow/sdk/bases/operator.py", "apply_defaults"),
    ("airflow/sdk/bases/operator.py", "_get_parent_defaults"),
    ("copy.py", "deepcopy"),
    ("airflow/sdk/bases/operator.py", "__init__"),
    ("airflow/sdk/bases/operator.py", "__setattr__"),
    ("airflow/sdk/definitions/_internal/node.py", "set_upstream"),
    ("airflow/sdk/definitions/_internal/node.py", "_set_relatives"),
    ("airflow/sdk/definitions/dag.py", "add_task"),
    ("airflow/dag_processing/dagbag.py", "bag_dag"),
    ("airflow/dag_processing/dagbag.py", "_load_modules_from_file"),
]


def profile(file: Path, label: str, top: int, runs: int = 3) -> None:
    prof = cProfile.Profile()
    for _ in range(runs):
        gc.collect()
        prof.enable()
        parse(file)
        prof.disable()
    stream = io.StringIO()
    stats = pstats.Stats(prof, stream=stream)
    total = sum(tt for (_cc, _nc, tt, _ct, _c) in stats.stats.values()) / runs
    print(f"\n==== cProfile of DagBag parse: {label} ({runs} parses; per-parse ms below)")
    print(f"total (profiled) {total * 1000:.1f} ms per parse")
    print("-- tottime per package, ms per parse")
    for name, tt in by_package(stats)[:18]:
        print(f"  {tt / runs * 1000:8.1f}  {name}")
    print("-- key functions: calls per parse, cumulative ms per parse")
    for name, calls, cum in cumulative_of(stats, KEY_FUNCTIONS):
        if calls:
            print(f"  {cum / runs * 1000:8.1f}  {calls // runs:>7}  {name}")
    stats.strip_dirs()
    for sort in ("cumulative", "tottime"):
        stream.seek(0)
        stream.truncate()
        stats.sort_stats(sort).print_stats(top)
        print(f"-- sorted by {sort} (totals for {runs} parses)")
        text = stream.getvalue()
        print(text[text.find("   ncalls") :])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    n = args.steps

    source = write_step_script(WORK / "src")
    files = {
        "pipeline": WORK / f"pipeline_{n}.py",
        "twin+param": WORK / f"twin_{n}.py",
        "twin": WORK / f"bash_{n}.py",
    }
    files["pipeline"].write_text(pipeline_dag_file(f"pipeline_{n}", n, source))
    files["twin+param"].write_text(
        bash_dag_file(f"twin_{n}", n, source, WORK / "data", params=True)
    )
    files["twin"].write_text(bash_dag_file(f"bash_{n}", n, source, WORK / "data"))
    for file in files.values():
        parse(file)  # warm

    print(f"N = {n}; load {os.getloadavg()}; medians of {args.repeats}, ms")
    times: dict[str, list[float]] = {k: [] for k in files}
    for _ in range(args.repeats):
        for label, file in files.items():  # interleaved
            gc.collect()
            started = time.perf_counter()
            parse(file)
            times[label].append(time.perf_counter() - started)
    med = {k: statistics.median(v) * 1000 for k, v in times.items()}
    for label, value in med.items():
        print(f"  {value:8.1f}  DagBag parse: {label}  ({value / n * 1000:.1f} us/step)")
    print(
        f"  ratio pipeline / twin+param {med['pipeline'] / med['twin+param']:.3f}; "
        f"pipeline / twin {med['pipeline'] / med['twin']:.3f}"
    )

    print("\n-- phases of the pipeline file's work, each timed alone (ms; us/step)")
    for label, value in phases(n, source, args.repeats).items():
        print(f"  {value:8.1f}  {value / n * 1000:7.1f}  {label}")

    for label, file in files.items():
        profile(file, label, args.top)


if __name__ == "__main__":
    main()
