"""The translator: plan (plain TaskSpecs, no Airflow), then render a DAG or a TaskGroup."""

from __future__ import annotations

import builtins
import io
import subprocess
import sys
from pathlib import Path

import pytest
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG, TaskGroup

from mlpipelines import (
    DataReference,
    Datastore,
    Pipeline,
    PipelineData,
    PipelineParameter,
    PythonScriptStep,
    Workspace,
)
from mlpipelines.model.planning import TaskSpec, plan_pipeline
from mlpipelines.sensors.reuse import ReuseSensor

PARAM_DEFAULTS = {"epochs": 3, "lr": 0.01, "shuffle": True, "mode": "fast"}
SCHEMA_TYPES = {"epochs": "integer", "lr": "number", "shuffle": "boolean", "mode": "string"}


@pytest.fixture
def src(tmp_path: Path) -> Path:
    folder = tmp_path / "src"
    folder.mkdir()
    for name in ("prep.py", "train.py", "report.py", "notify.py"):
        (folder / name).write_text("print('ok')\n", encoding="utf-8")
    return folder


@pytest.fixture
def pipeline(src: Path) -> Pipeline:
    """prep -> train (data), prep -> report (data), notify after train (run_after)."""
    ws = Workspace.current()
    params = {n: PipelineParameter(n, v) for n, v in PARAM_DEFAULTS.items()}
    raw = DataReference(Datastore(ws, "workspaceblobstore"), "raw", "datasets/iris")
    features, model = PipelineData("features"), PipelineData("model")
    PythonScriptStep(
        "prep.py",
        name="prep data",
        inputs=[raw],
        outputs=[features],
        arguments=["--raw", raw, "--out", features, "--mode", params["mode"]],
        source_directory=str(src),
    )
    train = PythonScriptStep(
        "train.py",
        name="train",
        inputs=[features.as_input("feats")],
        outputs=[model],
        arguments=["--data", features, "--model", model, "--epochs", params["epochs"], 7],
        params={"LR": params["lr"], "SHUFFLE": params["shuffle"], "NOTE": "plain"},
        source_directory=str(src),
    )
    report = PythonScriptStep(
        "report.py", name="report", inputs=[features], source_directory=str(src)
    )
    notify = PythonScriptStep("notify.py", name="notify", source_directory=str(src))
    notify.run_after(train)
    return Pipeline(ws, [notify, report], description="iris pipeline")


def _by_id(tasks: tuple[TaskSpec, ...]) -> dict[str, TaskSpec]:
    return {t.task_id: t for t in tasks}


# -- plan ------------------------------------------------------------------------------------


def test_plan_task_ids_and_upstreams(pipeline: Pipeline) -> None:
    plan = plan_pipeline(pipeline, "iris")
    tasks = _by_id(plan.tasks)
    assert set(tasks) == {"prep_data", "train", "report", "notify"}
    assert tasks["prep_data"].upstream == ()
    assert tasks["train"].upstream == ("prep_data",)
    assert tasks["report"].upstream == ("prep_data",)
    assert tasks["notify"].upstream == ("train",)
    assert all(t.kind == "python_script" for t in plan.tasks)
    assert plan.description == "iris pipeline"


def test_plan_argument_and_params_tokens(pipeline: Pipeline) -> None:
    tasks = _by_id(plan_pipeline(pipeline).tasks)
    assert tasks["prep_data"].definition.to_json()["arguments"] == [
        {"value": "--raw"},
        {"input": "raw"},
        {"value": "--out"},
        {"output": "features"},
        {"value": "--mode"},
        {"parameter": "mode"},
    ]
    train = tasks["train"].definition.to_json()
    assert train["arguments"] == [
        {"value": "--data"},
        {"input": "feats"},
        {"value": "--model"},
        {"output": "model"},
        {"value": "--epochs"},
        {"parameter": "epochs"},
        {"value": "7"},
    ]
    assert train["params"] == {
        "LR": {"parameter": "lr"},
        "SHUFFLE": {"parameter": "shuffle"},
        "NOTE": {"value": "plain"},
    }


def test_plan_definition_describes_data_and_script(pipeline: Pipeline, src: Path) -> None:
    tasks = _by_id(plan_pipeline(pipeline).tasks)
    prep = tasks["prep_data"].definition.to_json()
    assert prep["script_name"] == "prep.py"
    assert prep["source_directory"] == str(src)
    (raw,) = prep["inputs"]
    assert raw["kind"] == "data_reference"
    assert raw["path_on_datastore"] == "datasets/iris"
    assert raw["datastore"]["name"] == "workspaceblobstore"
    assert [o["name"] for o in prep["outputs"]] == ["features"]
    (feats,) = tasks["train"].definition.to_json()["inputs"]
    assert (feats["kind"], feats["data"], feats["producer"]) == (
        "pipeline_data",
        "features",
        "prep_data",
    )


def test_plan_params(pipeline: Pipeline) -> None:
    params = {p.name: p for p in plan_pipeline(pipeline).params}
    assert {n: p.default for n, p in params.items()} == {
        **PARAM_DEFAULTS,
        "regenerate_outputs": False,
    }
    assert {n: p.type for n, p in params.items()} == {
        **SCHEMA_TYPES,
        "regenerate_outputs": "boolean",
    }


def test_plan_doc_md_mentions_script_inputs_outputs(pipeline: Pipeline) -> None:
    tasks = _by_id(plan_pipeline(pipeline).tasks)
    doc = tasks["train"].doc_md
    assert "train.py" in doc
    assert "feats" in doc and "prep_data" in doc
    assert "model" in doc
    assert "epochs" in doc and "LR" in doc
    prep_doc = tasks["prep_data"].doc_md
    assert "prep.py" in prep_doc and "datasets/iris" in prep_doc and "features" in prep_doc


def test_plan_needs_no_airflow(pipeline: Pipeline, src: Path, tmp_path: Path) -> None:
    script = tmp_path / "plan_only.py"
    where = repr(str(src))
    script.write_text(
        "import sys\n"
        "from mlpipelines import Pipeline, PipelineData, PythonScriptStep\n"
        "from mlpipelines.model.planning import plan_pipeline\n"
        "data = PipelineData('d')\n"
        f"a = PythonScriptStep('prep.py', name='a', outputs=[data], source_directory={where})\n"
        f"b = PythonScriptStep('train.py', name='b', inputs=[data], source_directory={where})\n"
        "plan = plan_pipeline(Pipeline(None, [b]), 'x')\n"
        "print([t.task_id for t in plan.tasks], [t.upstream for t in plan.tasks])\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'airflow'))\n",
        encoding="utf-8",
    )
    out = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, check=True, timeout=120
    ).stdout.splitlines()
    assert out == ["['a', 'b'] [(), ('a',)]", "[]"]


# -- DAG -------------------------------------------------------------------------------------


def test_to_dag_builds_one_task_per_step(pipeline: Pipeline) -> None:
    dag = pipeline.to_dag("iris_dag")
    assert isinstance(dag, DAG)
    assert dag.dag_id == "iris_dag"
    assert set(dag.task_ids) == {"mlpipelines_reuse", "prep_data", "train", "report", "notify"}
    assert isinstance(dag.get_task("mlpipelines_reuse"), ReuseSensor)
    assert dag.get_task("mlpipelines_reuse").upstream_task_ids == set()
    assert dag.get_task("prep_data").upstream_task_ids == {"mlpipelines_reuse"}
    assert dag.get_task("train").upstream_task_ids == {"prep_data"}
    assert dag.get_task("report").upstream_task_ids == {"prep_data"}
    assert dag.get_task("notify").upstream_task_ids == {"train"}
    steps = [t for t in dag.tasks if t.task_id != "mlpipelines_reuse"]
    assert [d.task_id for d in dag.get_task("mlpipelines_reuse").steps] == [
        t.task_id for t in steps
    ]
    for task in steps:
        assert task.trigger_rule == "none_failed"
        assert task.doc_md and f"`{task.step.name}`" in task.doc_md
    assert "mlpipelines" in dag.tags
    assert dag.description == "iris pipeline"


def test_to_dag_params_typed_from_defaults(pipeline: Pipeline) -> None:
    dag = pipeline.to_dag("iris_dag")
    for name, default in PARAM_DEFAULTS.items():
        param = dag.params.get_param(name)
        # Optional in the trigger form (a default exists), still typed for REST conf checks.
        assert param.schema["type"] == [SCHEMA_TYPES[name], "null"]
        assert param.value == default == param.schema["x-mlpipelines-default"]


def test_to_dag_merges_user_params_and_tags(pipeline: Pipeline) -> None:
    dag = pipeline.to_dag("iris_dag", params={"extra": 1}, tags=["team-a"])
    assert set(dag.params) == {*PARAM_DEFAULTS, "extra", "regenerate_outputs"}
    assert dag.params["extra"] == 1
    assert {"team-a", "mlpipelines"} <= set(dag.tags)


def test_to_dag_is_pure_at_parse_time(pipeline: Pipeline, monkeypatch) -> None:
    import mlpipelines.translate.render  # noqa: F401  (the import itself may read files)

    def refuse(*args, **kwargs):
        raise AssertionError(f"translation touched a file or process: {args!r}")

    monkeypatch.setattr(builtins, "open", refuse)
    monkeypatch.setattr(io, "open", refuse)
    monkeypatch.setattr(subprocess, "Popen", refuse)
    dag = pipeline.to_dag("pure_dag")
    monkeypatch.undo()
    assert set(dag.task_ids) == {"mlpipelines_reuse", "prep_data", "train", "report", "notify"}


# -- TaskGroup -------------------------------------------------------------------------------


def test_to_task_group_inside_a_dag(pipeline: Pipeline) -> None:
    with DAG("host", schedule=None) as dag:
        group = pipeline.to_task_group("grp")
        after = EmptyOperator(task_id="after")
        group >> after
    ids = {"prep_data", "train", "report", "notify"}
    assert set(dag.task_ids) == {f"grp.{i}" for i in ids} | {
        "grp.mlpipelines_reuse",
        "grp.done",
        "after",
    }
    assert dag.get_task("grp.prep_data").upstream_task_ids == {"grp.mlpipelines_reuse"}
    assert dag.get_task("grp.train").upstream_task_ids == {"grp.prep_data"}
    assert dag.get_task("grp.notify").upstream_task_ids == {"grp.train"}

    done = dag.get_task("grp.done")
    assert isinstance(done, EmptyOperator)
    assert done.trigger_rule == "none_failed"
    assert done.upstream_task_ids == {"grp.notify", "grp.report"}
    assert [t.task_id for t in group.get_leaves()] == ["grp.done"]
    assert after.upstream_task_ids == {"grp.done"}

    (feats,) = dag.get_task("grp.train").step.to_json()["inputs"]
    assert feats["producer"] == "grp.prep_data"
    assert dag.get_task("grp.train").step.to_json()["task_id"] == "grp.train"
    assert dag.get_task("grp.train").reuse_task_id == "grp.mlpipelines_reuse"
    for name in PARAM_DEFAULTS:
        assert dag.params.get_param(name).schema["type"] == [SCHEMA_TYPES[name], "null"]


@pytest.mark.parametrize(
    ("outer", "group_kwargs"),
    [(None, {}), ("outer", {}), (None, {"prefix_group_id": False})],
    ids=["plain", "nested-in-group", "no-prefix"],
)
def test_producer_ids_in_step_match_real_task_ids(
    pipeline: Pipeline, outer: str | None, group_kwargs: dict
) -> None:
    with DAG("host", schedule=None) as dag:
        if outer:
            with TaskGroup(outer):
                pipeline.to_task_group("grp", **group_kwargs)
        else:
            pipeline.to_task_group("grp", **group_kwargs)
    consumers = [t for t in dag.tasks if getattr(getattr(t, "step", None), "name", None) == "train"]
    (train,) = consumers
    (feats,) = train.step.to_json()["inputs"]
    assert feats["producer"] in dag.task_ids
    assert feats["producer"] in train.upstream_task_ids


def test_to_task_group_keeps_dag_params(pipeline: Pipeline) -> None:
    with DAG("host", schedule=None, params={"lr": 0.5}) as dag:
        pipeline.to_task_group("grp")
    assert dag.params["lr"] == 0.5
    assert dag.params["epochs"] == 3


def test_to_task_group_outside_a_dag_is_a_clear_error(pipeline: Pipeline) -> None:
    with pytest.raises(ValueError, match=r"to_task_group\('grp'\).*DAG"):
        pipeline.to_task_group("grp")


def test_steps_retry_infrastructure_failures_but_not_their_own(pipeline: Pipeline) -> None:
    """A lost worker or an unreachable datastore is retried (the reuse marker makes that
    safe); a script's own failure is final, unless the DAG's default_args ask for retries."""
    from datetime import timedelta

    from airflow.sdk.exceptions import AirflowFailException

    from mlpipelines.errors import StepRunError

    dag = pipeline.to_dag("retries_default")
    steps = [t for t in dag.tasks if not isinstance(t, ReuseSensor)]
    assert steps and {(t.retries, t.retry_delay) for t in steps} == {(2, timedelta(seconds=15))}
    failure = steps[0].step_failure(StepRunError("exit code 1"))
    assert isinstance(failure, AirflowFailException)

    asked = pipeline.to_dag("retries_asked", default_args={"retries": 5})
    step = next(t for t in asked.tasks if not isinstance(t, ReuseSensor))
    assert step.retries == 5
    again = step.step_failure(StepRunError("exit code 1"))
    assert not isinstance(again, AirflowFailException)
