"""The example DAG files as Airflow loads them: DagBag with no import errors, and dag.test()."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.integration

EXAMPLES = {
    "sklearn_compare_models": {
        "tasks": {
            "mlpipelines_reuse",
            "prepare",
            "train_random_forest",
            "train_logistic_regression",
            "compare",
        },
        "params": {
            "n_estimators": "integer",
            "C": "number",
            "test_size": "number",
            "regenerate_outputs": "boolean",
        },
    },
    "sales_analytics": {
        "tasks": {"mlpipelines_reuse", "generate_sales", "summarize"},
        "params": {"min_amount": "number", "regenerate_outputs": "boolean"},
    },
    "hello_pipeline": {
        "tasks": {"mlpipelines_reuse", "greet", "shout"},
        "params": {"greeting": "string", "regenerate_outputs": "boolean"},
    },
    "module_calculator": {
        "tasks": {"mlpipelines_reuse", "AddAndMultiply_first_sum", "AddAndMultiply_end_sum"},
        "params": {"initialNum": "integer", "regenerate_outputs": "boolean"},
    },
    "command_pipeline": {
        "tasks": {"mlpipelines_reuse", "squares", "summarize"},
        "params": {"rows": "integer", "regenerate_outputs": "boolean"},
    },
    "iris_notebook": {
        "tasks": {"mlpipelines_reuse", "prepare_iris", "train_notebook"},
        "params": {"n_estimators": "integer", "regenerate_outputs": "boolean"},
    },
    "parallel_run_digits": {
        "tasks": {"mlpipelines_reuse", "prepare", "score__plan", "score__run", "score", "report"},
        "params": {"regenerate_outputs": "boolean"},
    },
}

LOAD_BAG = """
import json, sys, time
started = time.perf_counter()
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(sys.argv[1])
print(json.dumps({
    "errors": {k: str(v) for k, v in bag.import_errors.items()},
    "dags": {d: {"tasks": sorted(dag.task_ids),
                 "params": {k: dag.params.get_param(k).schema.get("type") for k in dag.params}}
             for d, dag in bag.dags.items()},
}))
"""

DAG_TEST = """
import json, sys
from airflow.dag_processing.dagbag import DagBag
dag = DagBag(sys.argv[1]).get_dag(sys.argv[2])
run = dag.test(run_conf=json.loads(sys.argv[3]))
print("RESULT " + json.dumps({"state": str(run.state),
      "tis": {ti.task_id: str(ti.state) for ti in run.get_task_instances()}}))
"""


def test_dagbag_loads_every_example_without_import_errors(airflow_home):
    done = airflow_home.python(LOAD_BAG, str(airflow_home.dags))
    assert done.returncode == 0, done.stderr
    bag = json.loads(done.stdout.strip().splitlines()[-1])
    assert bag["errors"] == {}
    for dag_id, expected in EXAMPLES.items():
        assert set(bag["dags"][dag_id]["tasks"]) == expected["tasks"]
        # Every example parameter has a default, so the trigger form may leave it empty: its
        # type admits null (translate/params.py).
        optional = {name: [kind, "null"] for name, kind in expected["params"].items()}
        assert bag["dags"][dag_id]["params"] == optional


@pytest.mark.parametrize(
    ("dag_id", "conf", "check"),
    [
        ("hello_pipeline", {"greeting": "Howdy"}, ("shout", "HOWDY, WORLD!")),
        ("sklearn_compare_models", {"n_estimators": 10}, ("compare", "best: ")),
        (
            "module_calculator",
            {"initialNum": 5},
            ("AddAndMultiply_end_sum", "sum: 17, product: 70"),
        ),
        ("command_pipeline", {"rows": 4}, ("summarize", "sum of squares: 30")),
        ("iris_notebook", {"n_estimators": 5}, ("train_notebook", "with 5 trees")),
        ("parallel_run_digits", {}, ("report", "scored 300 digits; accuracy: 0.9")),
    ],
    ids=[
        "hello_pipeline",
        "sklearn_compare_models",
        "module_calculator",
        "command_pipeline",
        "iris_notebook",
        "parallel_run_digits",
    ],
)
def test_example_dag_runs_with_dag_test(airflow_home, dag_id, conf, check):
    done = airflow_home.python(DAG_TEST, str(airflow_home.dags), dag_id, json.dumps(conf))
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert lines, done.stdout[-3000:] + done.stderr[-3000:]
    result = json.loads(lines[-1][len("RESULT ") :])
    assert result["state"] == "success", result
    assert set(result["tis"].values()) == {"success"}
    task_id, expected = check
    artifacts = airflow_home.home / "mlpipelines" / "workspaceblobstore" / "artifacts" / dag_id
    stdout = sorted(artifacts.glob(f"*/{task_id}/stdout.txt"), key=lambda p: p.stat().st_mtime)
    assert expected in stdout[-1].read_text()


def test_airflow_lists_the_provider(airflow_home):
    done = airflow_home.python(
        "import sys; from airflow.__main__ import main; sys.argv=['airflow','providers','list',"
        "'-o','json']; main()"
    )
    assert done.returncode == 0, done.stderr
    providers = {p["package_name"]: p for p in json.loads(done.stdout[done.stdout.index("[") :])}
    assert "airflow-provider-mlpipelines" in providers
