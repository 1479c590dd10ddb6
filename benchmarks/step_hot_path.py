"""Per-step hot path of a PythonScriptStep's task runtime, in process, without Airflow.

Builds the same 2-step chain as the run_overhead benchmark (step_0 writes out_0, step_1 reads
it and writes out_1), runs step_0 once to get the reference step_1 pulls, then calls
``run_python_script_step`` for step_1 many times:

- ``run``   : ``regenerate_outputs=true`` (a fresh run id each time): key, marker, staging,
              script, artifacts, publish, manifest -- what every run_overhead step pays;
- ``reuse`` : no regenerate, one key that has a manifest: the step is reused.

Prints wall time per call (median), an inclusive time per phase (wrapped functions, median
over calls), the floors (``python -c pass`` and the step script itself, as a subprocess and
via ``bash -c`` as the BashOperator twin runs it), the import cost of our modules in a fresh
process that already has the Task SDK loaded, and a cProfile of each mode.

    .venv/bin/python benchmarks/step_hot_path.py [--calls 40] [--top 25]
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import io
import os
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

WORK = Path(tempfile.mkdtemp(prefix="mlp-bench-step-"))
os.environ["AIRFLOW_HOME"] = str(WORK / "home")
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ.pop("MLPIPELINES_DEFAULT_DATASTORE", None)

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dag_files import write_step_script  # noqa: E402

# -- phase timers ------------------------------------------------------------------------------
PHASES: dict[str, list[float]] = defaultdict(list)
_current: dict[str, float] = defaultdict(float)

# (module, attribute, label): functions looked up through these module attributes at call time
WRAPPED = [
    ("mlpipelines.runtime.step_run", "locate_inputs", "locate_inputs (exists)"),
    ("mlpipelines.runtime.step_run", "check_reuse", "check_reuse (all)"),
    (
        "mlpipelines.reuse.decision",
        "take_snapshot",
        "  take_snapshot (ignore walk+hash+stat cache)",
    ),
    ("mlpipelines.reuse.decision", "reuse_key", "  reuse_key (canonical JSON + sha256)"),
    ("mlpipelines.reuse.store.ReuseStore", "load_manifest", "  load_manifest"),
    ("mlpipelines.reuse.store.ReuseStore", "last_step_record", "  last_step_record"),
    ("mlpipelines.reuse.store", "_output_problem", "    _output_problem (re-fingerprint output)"),
    ("mlpipelines.reuse.store.ReuseStore", "claim", "store.claim (marker create)"),
    ("mlpipelines.runtime.step_run", "keep_marker_alive", "keep_marker_alive (enter)"),
    ("mlpipelines.runtime.python_script", "stage_source", "stage_source (copy snapshot)"),
    ("mlpipelines.runtime.python_script", "stage_inputs", "stage_inputs"),
    ("mlpipelines.runtime.python_script", "prepare_outputs", "prepare_outputs"),
    ("mlpipelines.runtime.python_script", "_script_env", "_script_env"),
    ("mlpipelines.runtime.python_script", "run_process", "run_process (script subprocess)"),
    ("mlpipelines.runtime.python_script", "read_metrics", "read_metrics"),
    ("mlpipelines.runtime.python_script", "save_artifacts", "save_artifacts"),
    ("mlpipelines.runtime.python_script", "publish_outputs", "publish_outputs (hash + rename)"),
    ("mlpipelines.runtime.step_run", "tree_fingerprint", "  tree_fingerprint of new output"),
    ("mlpipelines.runtime.step_run", "_record", "_record (manifest + step record)"),
    ("mlpipelines.reuse.store.ReuseStore", "write_manifest", "  write_manifest"),
    ("mlpipelines.reuse.store.ReuseStore", "record_step", "  record_step"),
    ("mlpipelines.reuse.store.ReuseStore", "release", "store.release (marker delete)"),
    ("mlpipelines.runtime.python_script.shutil", "rmtree", "rmtree work dir"),
]


def _timed(label: str, fn):
    if getattr(fn, "__wrapped_by_bench__", False):
        return fn

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            _current[label] += time.perf_counter() - started

    wrapper.__wrapped_by_bench__ = True  # type: ignore[attr-defined]
    return wrapper


def _resolve(path: str):
    import importlib

    parts = path.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for attr in parts[i:]:
            obj = getattr(obj, attr)
        return obj
    raise ImportError(path)


def install_timers() -> None:
    for owner, attr, label in WRAPPED:
        target = _resolve(owner)
        original = getattr(target, attr)
        if attr == "keep_marker_alive":
            # A context manager: time entering (thread start) and leaving (stop + join) apart.
            import contextlib

            @contextlib.contextmanager
            def cm(*args, _orig=original, **kwargs):
                started = time.perf_counter()
                with _orig(*args, **kwargs):
                    _current["keep_marker_alive (thread start)"] += time.perf_counter() - started
                    yield
                    left = time.perf_counter()
                _current["keep_marker_alive (stop+join)"] += time.perf_counter() - left

            setattr(target, attr, cm)
            continue
        setattr(target, attr, _timed(label, original))


def end_call(total: float) -> None:
    _current["TOTAL run_python_script_step"] += total
    for label, value in _current.items():
        PHASES[label].append(value)
    _current.clear()


# -- the step ------------------------------------------------------------------------------------
def build(source: Path):
    from mlpipelines import Pipeline, PipelineData, PythonScriptStep, Workspace
    from mlpipelines.model.planning import plan_pipeline

    ws = Workspace.current()
    store = ws.get_default_datastore()
    out0 = PipelineData("out_0", datastore=store)
    out1 = PipelineData("out_1", datastore=store)
    PythonScriptStep(  # step_0: the producer step_1 reads
        name="step_0",
        script_name="step.py",
        source_directory=str(source),
        arguments=["--out", out0],
        outputs=[out0],
    )
    s1 = PythonScriptStep(
        name="step_1",
        script_name="step.py",
        source_directory=str(source),
        arguments=["--in", out0, "--out", out1],
        inputs=[out0],
        outputs=[out1],
    )
    plan = plan_pipeline(Pipeline(ws, [s1]))
    return {t.task_id: t.definition for t in plan.tasks}


def context(run_id: str, task_id: str, params: dict, refs: dict):
    import logging

    from mlpipelines.runtime.step_context import StepContext

    log = logging.getLogger("bench.step")
    log.addHandler(logging.NullHandler())
    log.propagate = False
    return StepContext(
        "chain_pipeline",
        run_id,
        task_id,
        params=params,
        pull_output=lambda producer, name: refs.get((producer, name)),
        log=log,
    )


def ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:8.2f}"


def subprocess_floor(argv: list[str], runs: int, **kwargs) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, check=True, **kwargs)
        times.append(time.perf_counter() - started)
    return times


IMPORTS = r"""
import sys, time
import airflow.sdk, airflow.sdk.execution_time.task_runner  # noqa: F401  (what a task process has)
import airflow.providers.standard.operators.bash  # noqa: F401
t0 = time.perf_counter()
import mlpipelines, mlpipelines.translate.render  # noqa: F401  (the DAG file's imports)
t1 = time.perf_counter()
import mlpipelines.runtime.python_script  # noqa: F401  (run_step's lazy import)
t2 = time.perf_counter()
import mlpipelines.triggers.reuse  # noqa: F401  (only when a key is held by another run)
t3 = time.perf_counter()
print(f"{(t1 - t0) * 1000:.1f} {(t2 - t1) * 1000:.1f} {(t3 - t2) * 1000:.1f}")
"""


def import_costs(runs: int = 7) -> tuple[list[float], list[float], list[float]]:
    dag_side, runtime_side, trigger_side = [], [], []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", IMPORTS],
            capture_output=True,
            text=True,
            check=True,
            env=dict(os.environ),
        ).stdout.split()
        dag_side.append(float(out[0]) / 1000)
        runtime_side.append(float(out[1]) / 1000)
        trigger_side.append(float(out[2]) / 1000)
    return dag_side, runtime_side, trigger_side


def profile_text(profile: cProfile.Profile, calls: int, sort: str, top: int) -> str:
    stream = io.StringIO()
    stats = pstats.Stats(profile, stream=stream)
    stats.strip_dirs().sort_stats(sort).print_stats(top)
    return f"(totals are for {calls} calls)\n" + stream.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=40)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()

    source = write_step_script(WORK / "src")
    definitions = build(source)
    from mlpipelines.runtime.python_script import run_python_script_step

    # step_0 once: the reference step_1 reads.
    first = run_python_script_step(
        definitions["step_0"], context("seed", "step_0", {"regenerate_outputs": True}, {})
    )
    refs = {("step_0", "out_0"): first.outputs["out_0"]}
    definition = definitions["step_1"]
    for i in range(3):  # warm: imports, first stat cache, page cache
        run_python_script_step(
            definition, context(f"warm_{i}", "step_1", {"regenerate_outputs": True}, refs)
        )
    install_timers()
    print(f"work dir {WORK}; {args.calls} calls per mode; load: {os.getloadavg()}")

    results: dict[str, dict[str, list[float]]] = {}
    profiles: dict[str, cProfile.Profile] = {}
    for mode in ("run", "reuse"):
        params = {"regenerate_outputs": True} if mode == "run" else {"regenerate_outputs": False}
        if mode == "reuse":  # one plain run records the manifest the calls below reuse
            run_python_script_step(definition, context("reuse_seed", "step_1", params, refs))
        PHASES.clear()
        _current.clear()
        for i in range(args.calls):
            ctx = context(f"{mode}_{i}", "step_1", params, refs)
            started = time.perf_counter()
            result = run_python_script_step(definition, ctx)
            end_call(time.perf_counter() - started)
            assert (result.reused is not None) == (mode == "reuse"), result
        results[mode] = {k: list(v) for k, v in PHASES.items()}
        profile = cProfile.Profile()
        for i in range(args.calls):
            ctx = context(f"{mode}_prof_{i}", "step_1", params, refs)
            profile.enable()
            run_python_script_step(definition, ctx)
            profile.disable()
        _current.clear()
        profiles[mode] = profile

    # floors
    script = str(source / "step.py")
    floor_pass = subprocess_floor([sys.executable, "-c", "pass"], args.calls)
    data = WORK / "floor"
    (data / "0").mkdir(parents=True, exist_ok=True)
    (data / "0" / "value.txt").write_text("x")
    floor_script = subprocess_floor(
        [sys.executable, script, "--in", str(data / "0"), "--out", str(data / "1")], args.calls
    )
    floor_bash = subprocess_floor(
        ["bash", "-c", f"{sys.executable} {script} --in {data}/0 --out {data}/1"], args.calls
    )
    dag_imports, runtime_imports, trigger_imports = import_costs()

    print("\n== wall time per call, median ms (inclusive phases; wrapped, so +~2 us each)")
    for mode, phases in results.items():
        print(f"-- mode {mode}")
        order = (
            ["TOTAL run_python_script_step"]
            + [label for _, _, label in WRAPPED]
            + ["keep_marker_alive (thread start)", "keep_marker_alive (stop+join)"]
        )
        for label in order:
            if label in phases:
                print(f"  {ms(phases[label])}  {label}")
        total = statistics.median(phases["TOTAL run_python_script_step"])
        if "run_process (script subprocess)" in phases:
            proc = statistics.median(phases["run_process (script subprocess)"])
            print(
                f"  {(total - proc) * 1000:8.2f}  = TOTAL minus run_process (our in-process cost)"
            )
    print("\n== floors, median ms")
    print(f"  {ms(floor_pass)}  python -c pass (subprocess.run)")
    print(f"  {ms(floor_script)}  python step.py --in --out (subprocess.run)")
    print(f"  {ms(floor_bash)}  bash -c 'python step.py ...' (the twin's command)")
    print("\n== imports in a fresh process with the Task SDK loaded, median ms")
    print(f"  {ms(dag_imports)}  import mlpipelines + translate.render (each task parses the DAG)")
    print(f"  {ms(runtime_imports)}  + runtime.python_script (run_step's lazy import)")
    print(f"  {ms(trigger_imports)}  + triggers.reuse (only while another run holds the key)")

    for mode, profile in profiles.items():
        for sort in ("cumulative", "tottime"):
            print(f"\n== cProfile, mode {mode}, sorted by {sort}")
            print(profile_text(profile, args.calls, sort, args.top))
    shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
