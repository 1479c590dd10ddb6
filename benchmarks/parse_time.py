"""DagBag parse time: a generated N-step pipeline DAG file vs a hand-written BashOperator DAG.

Both are parsed in the same warm process, as Airflow's DAG processor does after pre-importing
the modules a DAG file imports; each figure is the median of several parses.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dag_files import bash_dag_file, pipeline_dag_file, write_step_script

SIZES = (10, 100, 1000)
REPEATS = {10: 21, 100: 11, 1000: 7}

MEASURE = """
import gc, json, sys, time
import airflow.providers.standard.operators.bash  # noqa: F401  (pre-imported, as by Airflow)
import mlpipelines, mlpipelines.translate.render  # noqa: F401
from airflow.dag_processing.dagbag import DagBag
files, repeats, tasks = sys.argv[1:4], int(sys.argv[4]), int(sys.argv[5])
times = {f: [] for f in files}
cpu = {f: [] for f in files}
for _ in range(repeats):
    for file in files:  # interleaved, so drift in machine load hits both alike
        gc.collect()
        started, started_cpu = time.perf_counter(), time.process_time()
        bag = DagBag(file, collect_dags=False)
        bag.process_file(file)
        times[file].append(time.perf_counter() - started)
        cpu[file].append(time.process_time() - started_cpu)
        assert not bag.import_errors, bag.import_errors
        assert len(next(iter(bag.dags.values())).tasks) in (tasks, tasks + 1)  # + reuse sensor
print(json.dumps([[times[f] for f in files], [cpu[f] for f in files]]))
"""


def parse_times(
    files: list[Path], repeats: int, tasks: int, env: dict[str, str]
) -> list[list[list[float]]]:
    """Per file, its parse times: wall clock, then the process's CPU time."""
    argv = [sys.executable, "-c", MEASURE, *map(str, files), str(repeats), str(tasks)]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(done.stderr[-4000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="mlp-bench-parse-"))
    env = dict(os.environ, AIRFLOW_HOME=str(work / "home"), AIRFLOW__CORE__LOAD_EXAMPLES="False")
    source = write_step_script(work / "src")
    print("Medians in ms. 'bash+param' declares the same Param as every pipeline DAG")
    print("(regenerate_outputs); 'bash' declares none. 'cpu' rows: the parsing process's CPU")
    print("time, which a busy machine's other work does not inflate as it does the wall clock.")
    print(f"load {os.getloadavg()[0]:.2f}")
    print(
        f"{'N':>5} {'':>5} {'pipeline':>9} {'bash+param':>11} {'ratio':>6} {'bash':>7} {'ratio':>6}"
    )
    for n in SIZES:
        pipeline = work / f"pipeline_{n}.py"
        bash = work / f"bash_{n}.py"
        pipeline.write_text(pipeline_dag_file(f"pipeline_{n}", n, source))
        bash.write_text(bash_dag_file(f"bash_{n}", n, source, work / "data"))
        twin = work / f"twin_{n}.py"
        twin.write_text(bash_dag_file(f"twin_{n}", n, source, work / "data", params=True))
        wall, cpu = parse_times([pipeline, twin, bash], REPEATS[n], n, env)
        for clock, found in (("wall", wall), ("cpu", cpu)):
            ours, base, plain = (statistics.median(times) * 1000 for times in found)
            print(
                f"{n:>5} {clock:>5} {ours:>9.1f} {base:>11.1f} {ours / base:>6.2f} "
                f"{plain:>7.1f} {ours / plain:>6.2f}"
            )


if __name__ == "__main__":
    main()
