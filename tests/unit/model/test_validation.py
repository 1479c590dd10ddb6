"""Pipeline.validate(): every malformed pipeline is refused, all problems named at once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from airflow.sdk import DAG

from mlpipelines import (
    DataReference,
    Datastore,
    Pipeline,
    PipelineData,
    PipelineParameter,
    PipelineValidationError,
    PythonScriptStep,
    Workspace,
)


@dataclass
class Case:
    """A malformed pipeline, the problem kinds it must report, and text the message must hold."""

    pipeline: Pipeline
    kinds: set[str]
    mentions: list[str]
    steps: set[str | None] = field(default_factory=set)
    cycle: list[str] | None = None


@pytest.fixture
def ws() -> Workspace:
    return Workspace.current()


@pytest.fixture
def src(tmp_path: Path) -> Path:
    folder = tmp_path / "src"
    folder.mkdir()
    for name in ("a.py", "b.py", "c.py", "train.py"):
        (folder / name).write_text("print('hello')\n", encoding="utf-8")
    return folder


def _step(src: Path, name: str, script: str = "a.py", **kwargs) -> PythonScriptStep:
    return PythonScriptStep(script, name=name, source_directory=str(src), **kwargs)


def _rotations(names: list[str]) -> list[str]:
    """Every way to write the cycle ``names`` (closed) starting at any of its steps."""
    return [" -> ".join([*names[i:], *names[:i], names[i]]) for i in range(len(names))]


# -- the malformed pipelines, one builder each -----------------------------------------------


def duplicate_names(ws: Workspace, src: Path) -> Case:
    steps = [_step(src, "train"), _step(src, "train", "b.py")]
    return Case(Pipeline(ws, steps), {"duplicate-step-name"}, ["'train'", "2 steps"], {"train"})


def task_id_collision(ws: Workspace, src: Path) -> Case:
    steps = [_step(src, "train step"), _step(src, "train_step", "b.py")]
    return Case(
        Pipeline(ws, steps),
        {"task-id-collision"},
        ["'train step'", "'train_step'", "task 'train_step'"],
    )


def unusable_name(ws: Workspace, src: Path) -> Case:
    return Case(Pipeline(ws, [_step(src, "!!!")]), {"bad-step-name"}, ["'!!!'"], {"!!!"})


def overlong_name(ws: Workspace, src: Path) -> Case:
    name = "s" * 300
    return Case(Pipeline(ws, [_step(src, name)]), {"bad-step-name"}, [name[:40], "300"])


def cycle_run_after_2(ws: Workspace, src: Path) -> Case:
    a, b = _step(src, "a"), _step(src, "b", "b.py")
    b.run_after(a)
    a.run_after(b)
    return Case(Pipeline(ws, [a, b]), {"cycle"}, [], cycle=["a", "b"])


def cycle_run_after_3(ws: Workspace, src: Path) -> Case:
    a, b, c = _step(src, "a"), _step(src, "b", "b.py"), _step(src, "c", "c.py")
    b.run_after(a)
    c.run_after(b)
    a.run_after(c)
    return Case(Pipeline(ws, [a, b, c]), {"cycle"}, [], cycle=["a", "b", "c"])


def cycle_data_2(ws: Workspace, src: Path) -> Case:
    d1, d2 = PipelineData("d1"), PipelineData("d2")
    a = _step(src, "a", inputs=[d2], outputs=[d1])
    b = _step(src, "b", "b.py", inputs=[d1], outputs=[d2])
    return Case(Pipeline(ws, [a, b]), {"cycle"}, [], cycle=["a", "b"])


def cycle_data_3(ws: Workspace, src: Path) -> Case:
    d1, d2, d3 = PipelineData("d1"), PipelineData("d2"), PipelineData("d3")
    a = _step(src, "a", inputs=[d3], outputs=[d1])
    b = _step(src, "b", "b.py", inputs=[d1], outputs=[d2])
    c = _step(src, "c", "c.py", inputs=[d2], outputs=[d3])
    return Case(Pipeline(ws, [a, b, c]), {"cycle"}, [], cycle=["a", "b", "c"])


def never_produced(ws: Workspace, src: Path) -> Case:
    orphan = PipelineData("orphan")
    step = _step(src, "eat", inputs=[orphan], arguments=["--in", orphan])
    return Case(Pipeline(ws, [step]), {"data-never-produced"}, ["'orphan'"], {"eat"})


def produced_twice(ws: Workspace, src: Path) -> Case:
    out = PipelineData("model")
    one, two = _step(src, "one", outputs=[out]), _step(src, "two", "b.py", outputs=[out])
    return Case(Pipeline(ws, [one, two]), {"data-produced-twice"}, ["'model'", "'one'", "'two'"])


def pipeline_data_only_in_arguments_never_produced(ws: Workspace, src: Path) -> Case:
    # As in Azure ML, a PipelineData named only in arguments is an input, never an output.
    stray = PipelineData("stray")
    step = _step(src, "use", arguments=["--x", stray])
    return Case(Pipeline(ws, [step]), {"data-never-produced"}, ["PipelineData", "'stray'"], {"use"})


def missing_script(ws: Workspace, src: Path) -> Case:
    step = _step(src, "prep", "nowhere.py")
    return Case(Pipeline(ws, [step]), {"missing-script"}, ["'nowhere.py'", str(src)], {"prep"})


def missing_source_directory(ws: Workspace, src: Path) -> Case:
    gone = src.parent / "gone"
    step = PythonScriptStep("a.py", name="prep", source_directory=str(gone))
    return Case(Pipeline(ws, [step]), {"missing-source-directory"}, [str(gone)], {"prep"})


def script_up_and_out(ws: Workspace, src: Path) -> Case:
    step = _step(src, "prep", "../x.py")
    return Case(Pipeline(ws, [step]), {"script-outside-source"}, ["'../x.py'"], {"prep"})


def script_absolute(ws: Workspace, src: Path) -> Case:
    script = str(src / "a.py")
    step = _step(src, "prep", script)
    return Case(Pipeline(ws, [step]), {"script-outside-source"}, [f"'{script}'"], {"prep"})


def parameter_conflict(ws: Workspace, src: Path) -> Case:
    one = _step(src, "one", arguments=[PipelineParameter("lr", 0.1)])
    two = _step(src, "two", "b.py", arguments=[PipelineParameter("lr", 0.5)])
    return Case(
        Pipeline(ws, [one, two]), {"parameter-conflict"}, ["'lr'", "0.1", "0.5", "'one'"], {"two"}
    )


def reserved_parameter(ws: Workspace, src: Path) -> Case:
    step = _step(src, "s", arguments=[PipelineParameter("regenerate_outputs", True)])
    return Case(Pipeline(ws, [step]), {"reserved-parameter-name"}, ["'regenerate_outputs'"], {"s"})


def reserved_parameter_prefix(ws: Workspace, src: Path) -> Case:
    step = _step(src, "s", params={"X": PipelineParameter("mlpipelines_x", "v")})
    return Case(Pipeline(ws, [step]), {"reserved-parameter-name"}, ["'mlpipelines_x'"], {"s"})


def parameter_not_identifier(ws: Workspace, src: Path) -> Case:
    step = _step(src, "s", arguments=[PipelineParameter("learning rate", 0.1)])
    return Case(Pipeline(ws, [step]), {"bad-parameter-name"}, ["'learning rate'"], {"s"})


def parameter_list_default(ws: Workspace, src: Path) -> Case:
    step = _step(src, "s", arguments=[PipelineParameter("layers", [1, 2])])
    return Case(Pipeline(ws, [step]), {"bad-parameter-default"}, ["'layers'", "[1, 2]"], {"s"})


def data_name_not_identifier(ws: Workspace, src: Path) -> Case:
    data = PipelineData("my data")
    a = _step(src, "make", outputs=[data])
    b = _step(src, "use", "b.py", inputs=[data])
    return Case(Pipeline(ws, [a, b]), {"bad-data-name"}, ["'my data'"], {"make"})


def reference_leaves_datastore(ws: Workspace, src: Path) -> Case:
    ref = DataReference(Datastore(ws, "workspaceblobstore"), "up_ref", path_on_datastore="../up")
    step = _step(src, "read", inputs=[ref])
    return Case(Pipeline(ws, [step]), {"path-leaves-datastore"}, ["'up_ref'", "'../up'"], {"read"})


def input_not_data(ws: Workspace, src: Path) -> Case:
    step = _step(src, "read", inputs=["raw.csv"])
    return Case(Pipeline(ws, [step]), {"bad-input"}, ["'raw.csv'"], {"read"})


def output_not_pipeline_data(ws: Workspace, src: Path) -> Case:
    step = _step(src, "write", outputs=["out.csv"])
    return Case(Pipeline(ws, [step]), {"bad-output"}, ["out.csv"], {"write"})


def output_reference_leaves_datastore(ws: Workspace, src: Path) -> Case:
    ref = DataReference(Datastore(ws, "workspaceblobstore"), "out_ref", "../elsewhere")
    step = _step(src, "write", outputs=[ref])
    return Case(Pipeline(ws, [step]), {"path-leaves-datastore"}, ["out_ref"], {"write"})


def not_a_step(ws: Workspace, src: Path) -> Case:
    return Case(Pipeline(ws, [_step(src, "ok"), "oops"]), {"not-a-step"}, ["'oops'"], {None})


def empty_steps(ws: Workspace, src: Path) -> Case:
    return Case(Pipeline(ws, []), {"no-steps"}, ["no steps"], {None})


def self_dependency(ws: Workspace, src: Path) -> Case:
    data = PipelineData("loop")
    step = _step(src, "ouro", inputs=[data], outputs=[data])
    return Case(Pipeline(ws, [step]), {"self-dependency"}, ["'loop'"], {"ouro"})


def argument_dict(ws: Workspace, src: Path) -> Case:
    step = _step(src, "s", arguments=["--cfg", {"depth": 3}])
    return Case(Pipeline(ws, [step]), {"bad-argument"}, ["{'depth': 3}"], {"s"})


def params_key_not_env_name(ws: Workspace, src: Path) -> Case:
    step = _step(src, "s", params={"my-key": "v"})
    return Case(Pipeline(ws, [step]), {"bad-param-name"}, ["'my-key'"], {"s"})


def params_value_list(ws: Workspace, src: Path) -> Case:
    step = _step(src, "s", params={"LAYERS": [1, 2]})
    return Case(Pipeline(ws, [step]), {"bad-param-value"}, ["'LAYERS'", "[1, 2]"], {"s"})


def run_after_not_step(ws: Workspace, src: Path) -> Case:
    step = _step(src, "s")
    step.run_after("prep")
    return Case(Pipeline(ws, [step]), {"bad-run-after"}, ["'prep'"], {"s"})


def duplicate_input_name(ws: Workspace, src: Path) -> Case:
    store = Datastore(ws, "workspaceblobstore")
    refs = [DataReference(store, "raw", "x"), DataReference(store, "raw", "y")]
    step = _step(src, "s", inputs=refs)
    return Case(Pipeline(ws, [step]), {"duplicate-input-name"}, ["'raw'"], {"s"})


def duplicate_output_name(ws: Workspace, src: Path) -> Case:
    data = PipelineData("model")
    step = _step(src, "s", outputs=[data, data])
    return Case(Pipeline(ws, [step]), {"duplicate-output-name"}, ["'model'"], {"s"})


def empty_script_name(ws: Workspace, src: Path) -> Case:
    step = _step(src, "s", "")
    return Case(Pipeline(ws, [step]), {"bad-script-name"}, ["''"], {"s"})


def integer_default_beyond_64_bits(ws: Workspace, src: Path) -> Case:
    big = PipelineParameter("seed", default_value=2**64)
    step = _step(src, "s", arguments=["--seed", big])
    return Case(Pipeline(ws, [step]), {"bad-parameter-default"}, ["'seed'", "out of range"], {"s"})


def string_default_with_nul(ws: Workspace, src: Path) -> Case:
    word = PipelineParameter("word", default_value="a\x00b")
    step = _step(src, "s", arguments=["--word", word])
    return Case(Pipeline(ws, [step]), {"bad-parameter-default"}, ["'word'", "NUL"], {"s"})


def string_default_longer_than_an_argument(ws: Workspace, src: Path) -> Case:
    text = PipelineParameter("text", default_value="t" * 40_000)
    step = _step(src, "s", arguments=["--text", text])
    return Case(
        Pipeline(ws, [step]), {"bad-parameter-default"}, ["'text'", "40,000 characters"], {"s"}
    )


def parameter_name_with_dash(ws: Workspace, src: Path) -> Case:
    rate = PipelineParameter("learning-rate", default_value=0.1)
    step = _step(src, "s", arguments=["--lr", rate])
    return Case(Pipeline(ws, [step]), {"bad-parameter-name"}, ["'learning-rate'"], {"s"})


def reserved_step_name(ws: Workspace, src: Path) -> Case:
    step = _step(src, "mlpipelines_reuse")
    return Case(Pipeline(ws, [step]), {"reserved-step-name"}, ["'mlpipelines_reuse'"])


def two_problems_in_two_steps(ws: Workspace, src: Path) -> Case:
    a = _step(src, "a", "missing.py")
    b = _step(src, "b", arguments=["--x", {"k": 1}])
    return Case(
        Pipeline(ws, [a, b]),
        {"missing-script", "bad-argument"},
        ["'missing.py'", "{'k': 1}"],
        {"a", "b"},
    )


BUILDERS: list[Callable[[Workspace, Path], Case]] = [
    duplicate_names,
    task_id_collision,
    unusable_name,
    overlong_name,
    cycle_run_after_2,
    cycle_run_after_3,
    cycle_data_2,
    cycle_data_3,
    never_produced,
    produced_twice,
    pipeline_data_only_in_arguments_never_produced,
    missing_script,
    missing_source_directory,
    script_up_and_out,
    script_absolute,
    parameter_conflict,
    reserved_parameter,
    reserved_parameter_prefix,
    parameter_not_identifier,
    parameter_list_default,
    data_name_not_identifier,
    reference_leaves_datastore,
    input_not_data,
    output_not_pipeline_data,
    output_reference_leaves_datastore,
    not_a_step,
    empty_steps,
    self_dependency,
    argument_dict,
    params_key_not_env_name,
    params_value_list,
    run_after_not_step,
    duplicate_input_name,
    duplicate_output_name,
    empty_script_name,
    integer_default_beyond_64_bits,
    string_default_with_nul,
    string_default_longer_than_an_argument,
    parameter_name_with_dash,
    reserved_step_name,
    two_problems_in_two_steps,
]


@pytest.mark.parametrize("build", BUILDERS, ids=[b.__name__ for b in BUILDERS])
def test_malformed_pipeline_is_refused(build, ws: Workspace, src: Path) -> None:
    case = build(ws, src)
    with pytest.raises(PipelineValidationError) as info:
        case.pipeline.validate()
    err = info.value
    assert isinstance(err, ValueError)
    assert set(err.kinds) == case.kinds
    text = str(err)
    for fragment in case.mentions:
        assert fragment in text
    if case.steps:
        assert {p.step for p in err.problems} == case.steps
    for problem in err.problems:
        if problem.step is not None:
            assert f"step '{problem.step}'" in text
    if case.cycle is not None:
        (problem,) = err.problems
        assert problem.step in case.cycle
        assert any(order in problem.message for order in _rotations(case.cycle)), text


def test_same_parameter_with_same_default_is_fine(ws: Workspace, src: Path) -> None:
    one = _step(src, "one", arguments=[PipelineParameter("lr", 0.1)])
    two = _step(src, "two", "b.py", params={"LR": PipelineParameter("lr", 0.1)})
    assert Pipeline(ws, [one, two]).validate() == []


def test_bad_dag_id_passed_to_to_dag(ws: Workspace, src: Path) -> None:
    pipeline = Pipeline(ws, [_step(src, "ok")])
    with pytest.raises(PipelineValidationError) as info:
        pipeline.to_dag("bad id!")
    assert info.value.kinds == ["bad-dag-id"]
    assert "'bad id!'" in str(info.value)


def test_several_problems_are_reported_at_once(ws: Workspace, src: Path) -> None:
    orphan = PipelineData("orphan")
    steps = [
        _step(src, "dup"),
        _step(src, "dup", "b.py"),
        _step(src, "lost", "nowhere.py", inputs=[orphan]),
        _step(src, "conf", arguments=[PipelineParameter("regenerate_outputs", 1), {"a": 1}]),
        "not a step",
    ]
    with pytest.raises(PipelineValidationError) as info:
        Pipeline(ws, steps).validate()
    err = info.value
    expected = {
        "duplicate-step-name",
        "missing-script",
        "data-never-produced",
        "reserved-parameter-name",
        "bad-argument",
        "not-a-step",
    }
    assert set(err.kinds) == expected
    assert f"({len(err.problems)} problems)" in str(err)
    for name in ("'dup'", "'lost'", "'conf'", "'nowhere.py'", "'orphan'"):
        assert name in str(err)


def test_to_dag_and_to_task_group_raise_what_validate_raises(ws: Workspace, src: Path) -> None:
    steps = [_step(src, "dup"), _step(src, "dup", "b.py"), _step(src, "gone", "nowhere.py")]
    pipeline = Pipeline(ws, steps)
    with pytest.raises(PipelineValidationError) as by_validate:
        pipeline.validate()
    with pytest.raises(PipelineValidationError) as by_dag:
        pipeline.to_dag("good_id")
    with DAG("host", schedule=None), pytest.raises(PipelineValidationError) as by_group:
        pipeline.to_task_group("grp")
    assert by_validate.value.problems
    assert by_dag.value.problems == by_validate.value.problems
    assert by_group.value.problems == by_validate.value.problems


def test_valid_pipeline_validates_to_empty_list(ws: Workspace, src: Path) -> None:
    data = PipelineData("features")
    ref = DataReference(Datastore(ws, "workspaceblobstore"), "raw", "raw/data")
    prep = _step(src, "prep", inputs=[ref], outputs=[data], arguments=["--in", ref, "--out", data])
    train = _step(
        src,
        "train",
        "train.py",
        inputs=[data.as_download("features_in")],
        arguments=["--data", data, "--lr", PipelineParameter("lr", 0.01)],
        params={"EPOCHS": PipelineParameter("epochs", 3), "MODE": "fast"},
    )
    pipeline = Pipeline(ws, [train])
    assert pipeline.steps == [prep, train]
    assert pipeline.validate() == []
    assert pipeline.validate("my.dag-id_1") == []
