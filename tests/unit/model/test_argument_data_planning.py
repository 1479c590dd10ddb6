"""Data named only in arguments (issue 12, point 3) and datasets as parameter values (point 4):
what each step consumes and produces, in what order, and the problems named by step."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlpipelines.azureml.core import Dataset, Datastore, Workspace
from mlpipelines.azureml.data import OutputFileDatasetConfig
from mlpipelines.azureml.data.data_reference import DataReference
from mlpipelines.azureml.data.datapath import DataPath, DataPathComputeBinding
from mlpipelines.azureml.data.dataset_consumption_config import DatasetConsumptionConfig
from mlpipelines.azureml.pipeline.core import Pipeline, PipelineData, PipelineParameter
from mlpipelines.azureml.pipeline.steps import PythonScriptStep
from mlpipelines.errors import PipelineValidationError
from mlpipelines.records import (
    DataPathInput,
    DataReferenceInput,
    DatasetInput,
    PipelineDataInput,
    PipelineDataOutput,
)
from mlpipelines.records.plan import PipelinePlan, TaskSpec
from mlpipelines.records.step import StepDefinition


@pytest.fixture
def ws() -> Workspace:
    return Workspace.current()


@pytest.fixture
def src(tmp_path: Path) -> str:
    folder = tmp_path / "src"
    folder.mkdir()
    for script in ("prep.py", "train.py", "score.py"):
        (folder / script).write_text("print('hi')\n", encoding="utf-8")
    return str(folder)


@pytest.fixture
def lake(ws: Workspace, tmp_path: Path) -> Datastore:
    (tmp_path / "lake" / "iris").mkdir(parents=True)
    (tmp_path / "lake" / "iris" / "iris.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    (tmp_path / "lake" / "titanic.csv").write_text("a,b\n3,4\n", encoding="utf-8")
    return Datastore.register_local_folder(ws, "args_lake", str(tmp_path / "lake"))


def _tasks(pipeline: Pipeline) -> dict[str, TaskSpec]:
    plan: PipelinePlan = pipeline.plan()
    return {t.task_id: t for t in plan.tasks}


def _args(definition: StepDefinition) -> list[dict[str, str]]:
    return [t.to_json() for t in definition.arguments]


def test_output_file_dataset_chain_passed_only_in_arguments(
    ws: Workspace, src: str, lake: Datastore
) -> None:
    prepared = OutputFileDatasetConfig("prepared", destination=(lake, "out/{run-id}/{output-name}"))
    prepared = prepared.register_on_complete("prepared_data")
    model = OutputFileDatasetConfig("model")
    # The consumer is listed first: the chain orders the steps, not the list.
    train = PythonScriptStep(
        "train.py",
        name="train",
        source_directory=src,
        arguments=["--data", prepared.as_input("training"), "--model", model],
    )
    PythonScriptStep(  # joins the pipeline as the producer of `prepared`
        "prep.py", name="prep", source_directory=src, arguments=["--out", prepared]
    )
    score = PythonScriptStep(
        "score.py",
        name="score",
        source_directory=src,
        arguments=["--model", model.as_mount(), "--rows", prepared.read_delimited_files()],
    )
    tasks = _tasks(Pipeline(ws, [score, train]))
    assert list(tasks) == ["prep", "train", "score"]
    (out,) = tasks["prep"].definition.outputs
    assert isinstance(out, PipelineDataOutput)
    assert (out.name, out.datastore.name, out.destination) == (
        "prepared",
        "args_lake",
        "out/{run-id}/prepared",
    )
    assert out.registration is not None and out.registration.name == "prepared_data"
    assert out.registration.reader is None  # a file dataset
    assert out.destination_for("run_1") == "out/run_1/prepared"
    assert _args(tasks["prep"].definition) == [{"value": "--out"}, {"output": "prepared"}]

    train_def = tasks["train"].definition
    assert [i.to_json() for i in train_def.inputs] == [
        PipelineDataInput("training", "prepared", "prep", "mount").to_json()
    ]
    assert [o.name for o in train_def.outputs] == ["model"]
    assert tasks["train"].upstream == ("prep",)
    assert _args(train_def) == [
        {"value": "--data"},
        {"input": "training"},
        {"value": "--model"},
        {"output": "model"},
    ]

    score_def = tasks["score"].definition
    model_in, rows_in = score_def.inputs
    assert isinstance(model_in, PipelineDataInput) and isinstance(rows_in, PipelineDataInput)
    assert (model_in.producer, model_in.mode, model_in.reader) == ("train", "mount", None)
    assert (rows_in.producer, rows_in.data, rows_in.mode) == ("prep", "prepared", "direct")
    assert rows_in.reader is not None and rows_in.reader["format"] == "delimited"
    assert score_def.outputs == ()
    assert set(tasks["score"].upstream) == {"prep", "train"}
    # The definition survives the stored spec's JSON round trip.
    assert StepDefinition.from_json(score_def.to_json()) == score_def
    assert StepDefinition.from_json(tasks["prep"].definition.to_json()) == tasks["prep"].definition


def test_tabular_output_named_by_its_producer_is_its_output(ws: Workspace, src: str) -> None:
    # The AML idiom: OutputFileDatasetConfig(...).read_delimited_files().register_on_complete()
    # passed to the producer; the reader registers a tabular dataset.
    cleansed = OutputFileDatasetConfig("cleansed").read_delimited_files()
    cleansed = cleansed.register_on_complete(name="cleansed_taxi")
    PythonScriptStep("prep.py", name="prep", source_directory=src, arguments=[cleansed])
    train = PythonScriptStep(
        "train.py",
        name="train",
        source_directory=src,
        inputs=[cleansed.as_input("cleansed_rows")],
        arguments=["--rows", cleansed.as_input("cleansed_rows")],
    )
    tasks = _tasks(Pipeline(ws, [train]))
    (out,) = tasks["prep"].definition.outputs
    assert out.registration is not None and out.registration.reader is not None
    assert _args(tasks["prep"].definition) == [{"output": "cleansed"}]
    (rows,) = tasks["train"].definition.inputs
    assert isinstance(rows, PipelineDataInput)
    assert (rows.name, rows.producer, rows.reader is not None) == ("cleansed_rows", "prep", True)
    assert _args(tasks["train"].definition) == [{"value": "--rows"}, {"input": "cleansed_rows"}]


def test_pipeline_data_as_dataset_parsed_by_the_next_step(ws: Workspace, src: str) -> None:
    # The nyc-taxi notebook: PipelineData(...).as_dataset() out, parse_parquet_files() in.
    store = ws.get_default_datastore()
    cleansed = PipelineData("cleansed", datastore=store).as_dataset()
    merged = PipelineData("merged", datastore=store).as_dataset()
    PythonScriptStep(
        "prep.py",
        name="cleanse",
        source_directory=src,
        arguments=["--output_cleanse", cleansed],
        outputs=[cleansed],
    )
    merge = PythonScriptStep(
        "train.py",
        name="merge",
        source_directory=src,
        arguments=["--output_merge", merged],
        inputs=[cleansed.parse_parquet_files(file_extension=None)],
        outputs=[merged],
    )
    score = PythonScriptStep(
        "score.py",
        name="score",
        source_directory=src,
        arguments=["--in", merged.parse_delimited_files(separator=";").as_named_input("rows")],
    )
    tasks = _tasks(Pipeline(ws, [merge, score]))
    assert list(tasks) == ["cleanse", "merge", "score"]
    (parsed,) = tasks["merge"].definition.inputs
    assert isinstance(parsed, PipelineDataInput) and parsed.reader is not None
    assert (parsed.name, parsed.producer, parsed.reader["format"]) == (
        "cleansed",
        "cleanse",
        "parquet",
    )
    (rows,) = tasks["score"].definition.inputs
    assert isinstance(rows, PipelineDataInput) and rows.reader is not None
    assert (rows.name, rows.reader["separator"]) == ("rows", ";")
    assert _args(tasks["score"].definition) == [{"value": "--in"}, {"input": "rows"}]


def test_data_only_in_arguments_becomes_inputs_matched_by_name(
    ws: Workspace, src: str, lake: Datastore
) -> None:
    features = PipelineData("features")
    PythonScriptStep("prep.py", name="make", source_directory=src, outputs=[features])
    raw = DataReference(lake, "raw", "iris")
    files = Dataset.File.from_files((lake, "iris")).as_named_input("iris_files").as_mount()
    titanic = PipelineParameter("titanic", DataPath(lake, "titanic.csv"))
    bound = (titanic, DataPathComputeBinding(mode="download"))
    use = PythonScriptStep(
        "train.py",
        name="use",
        source_directory=src,
        # The input is declared with one object; the argument is another of the same name.
        inputs=[DataReference(lake, "raw", "iris").as_download()],
        arguments=[raw, features, files, bound, lake.path("titanic.csv", "ref")],
    )
    tasks = _tasks(Pipeline(ws, [use]))
    assert list(tasks) == ["make", "use"]  # the producer joins through the argument
    definition = tasks["use"].definition
    kinds = [(type(i), i.name, i.mode) for i in definition.inputs]
    assert kinds == [
        (DataReferenceInput, "raw", "download"),
        (PipelineDataInput, "features", "mount"),
        (DatasetInput, "iris_files", "mount"),
        (DataPathInput, "titanic", "download"),
        (DataReferenceInput, "ref", "mount"),
    ]
    assert _args(definition) == [
        {"input": "raw"},
        {"input": "features"},
        {"input": "iris_files"},
        {"input": "titanic"},
        {"input": "ref"},
    ]
    assert tasks["use"].upstream == ("make",)


def test_pipeline_data_only_in_arguments_is_never_an_output(ws: Workspace, src: str) -> None:
    orphan = PipelineData("orphan")
    never = OutputFileDatasetConfig("never")
    step = PythonScriptStep(
        "prep.py",
        name="lonely",
        source_directory=src,
        arguments=["--x", orphan, "--y", never.as_input("never_in")],
    )
    with pytest.raises(PipelineValidationError) as info:
        Pipeline(ws, [step]).validate()
    problems = {(p.kind, p.step, p.message) for p in info.value.problems}
    assert problems == {
        (
            "data-never-produced",
            "lonely",
            "PipelineData 'orphan' is consumed but no step lists it in outputs",
        ),
        (
            "data-never-produced",
            "lonely",
            "OutputFileDatasetConfig 'never' is consumed but no step lists it in outputs "
            "or names it first in arguments",
        ),
    }


def test_bad_output_file_dataset_configs_are_named(
    ws: Workspace, src: str, lake: Datastore
) -> None:
    from mlpipelines.errors import UserErrorException

    with pytest.raises(UserErrorException, match="name must be a non-empty string"):
        OutputFileDatasetConfig(name="")
    with pytest.raises(UserErrorException, match=r"'out': destination must be \(datastore"):
        OutputFileDatasetConfig("out", destination="somewhere")
    with pytest.raises(UserErrorException, match="register_on_complete needs a dataset name"):
        OutputFileDatasetConfig("out").register_on_complete("")
    climbing = OutputFileDatasetConfig("up", destination=(lake, "../{run-id}"))
    step = PythonScriptStep("prep.py", name="climb", source_directory=src, arguments=[climbing])
    with pytest.raises(PipelineValidationError) as info:
        Pipeline(ws, [step]).validate()
    (problem,) = info.value.problems
    assert (problem.kind, problem.step) == ("path-leaves-datastore", "climb")
    assert "output 'up': destination '../{run-id}' leaves the datastore" in problem.message


def test_dataset_parameter_consumed_through_dataset_consumption_config(
    ws: Workspace, src: str, lake: Datastore
) -> None:
    # aml-pipelines-showcasing-dataset-and-pipelineparameter: the inputs are only arguments.
    tabular = Dataset.Tabular.from_delimited_files(lake.path("iris/iris.csv"))
    files = Dataset.File.from_files(path=[lake.path("titanic.csv")])
    tabular_param = PipelineParameter(name="tabular_ds_param", default_value=tabular)
    file_param = PipelineParameter(name="file_ds_param", default_value=files)
    tabular_input = DatasetConsumptionConfig("tabular_dataset", tabular_param)
    file_input = DatasetConsumptionConfig("file_dataset", file_param).as_mount()
    step = PythonScriptStep(
        "train.py",
        name="train_step",
        source_directory=src,
        arguments=["--param1", tabular_input, "--param2", file_input],
    )
    pipeline = Pipeline(ws, [step])
    plan = pipeline.plan()
    params = {p.name: p for p in plan.params}
    assert params["tabular_ds_param"].type == "object"
    assert params["tabular_ds_param"].default == {"dataset": tabular.to_dict()}
    assert params["file_ds_param"].default == {"dataset": files.to_dict()}
    (task,) = plan.tasks
    first, second = task.definition.inputs
    assert isinstance(first, DatasetInput) and isinstance(second, DatasetInput)
    assert (first.name, first.mode, first.parameter) == (
        "tabular_dataset",
        "direct",
        "tabular_ds_param",
    )
    assert (second.name, second.mode, second.parameter) == (
        "file_dataset",
        "mount",
        "file_ds_param",
    )
    assert first.dataset == tabular.definition()
    assert DatasetInput.from_json(second.to_json()) == second
    with pytest.raises(Exception, match="needs a dataset as its default_value"):
        DatasetConsumptionConfig("x", PipelineParameter("n", 3))


def test_readers_destinations_and_registrations_enter_the_reuse_key(
    ws: Workspace, src: str, lake: Datastore
) -> None:
    from mlpipelines.reuse.keys import reuse_components, reuse_key

    def keys(out: OutputFileDatasetConfig, read: object) -> tuple[str, str]:
        prep = PythonScriptStep("prep.py", name="prep", source_directory=src, arguments=[out])
        use = PythonScriptStep("train.py", name="use", source_directory=src, arguments=[read])
        tasks = _tasks(Pipeline(ws, [prep, use]))
        found = {"rows": "same-content", "plain": "same-content"}
        return tuple(  # type: ignore[return-value]
            reuse_key(reuse_components(tasks[t].definition, {}, "digest", found))
            for t in ("prep", "use")
        )

    plain = OutputFileDatasetConfig("rows")
    base = keys(plain, plain.read_delimited_files())
    other = OutputFileDatasetConfig("rows")
    assert keys(other, other.read_delimited_files()) == base  # the same definition
    other = OutputFileDatasetConfig("rows")
    assert keys(other, other.read_delimited_files(separator=";"))[1] != base[1]
    other = OutputFileDatasetConfig("rows")
    assert keys(other, other.as_input())[1] != base[1]
    placed = OutputFileDatasetConfig("rows", destination=(lake, "x/{run-id}"))
    assert keys(placed, placed.read_delimited_files())[0] != base[0]
    kept = OutputFileDatasetConfig("rows").register_on_complete("kept_rows")
    assert keys(kept, kept.read_delimited_files())[0] != base[0]


def test_pipeline_data_built_again_under_its_name_is_read_from_its_producer(
    ws: Workspace, src: str
) -> None:
    made = PipelineData("features")
    make = PythonScriptStep(
        "prep.py", name="make", source_directory=src, arguments=["--out", made], outputs=[made]
    )
    again = PipelineData("features")  # a later notebook cell, the same name
    use = PythonScriptStep("train.py", name="use", source_directory=src, arguments=[again])
    tasks = _tasks(Pipeline(ws, [make, use]))
    (features,) = tasks["use"].definition.inputs
    assert isinstance(features, PipelineDataInput)
    assert (features.data, features.producer) == ("features", "make")
    assert tasks["use"].upstream == ("make",)
    # Without a step of that output name in the pipeline, it stays unproduced.
    lonely = PythonScriptStep(
        "train.py", name="lonely", source_directory=src, arguments=[PipelineData("other")]
    )
    with pytest.raises(PipelineValidationError) as info:
        Pipeline(ws, [make, lonely]).validate()
    assert [(p.kind, p.step) for p in info.value.problems] == [("data-never-produced", "lonely")]


def test_a_data_reference_of_another_place_under_the_same_name_is_not_merged(
    ws: Workspace, src: str, lake: Datastore
) -> None:
    # Both are named after their datastore: the argument must not silently read the input.
    step = PythonScriptStep(
        "prep.py",
        name="two_places",
        source_directory=src,
        inputs=[lake.path("iris")],
        arguments=[lake.path("iris"), lake.path("titanic.csv")],
    )
    assert [i.path_on_datastore for i in step.inputs] == ["iris", "titanic.csv"]
    with pytest.raises(PipelineValidationError) as info:
        Pipeline(ws, [step]).validate()
    assert [(p.kind, p.step, p.message) for p in info.value.problems] == [
        ("duplicate-input-name", "two_places", "2 inputs are named 'args_lake'")
    ]


def test_unnamed_outputs_are_named_after_the_step_that_writes_them(
    ws: Workspace, src: str, lake: Datastore
) -> None:
    # The old docs' idiom: OutputFileDatasetConfig() with no name, read by the next step.
    prepared = OutputFileDatasetConfig()
    stats = OutputFileDatasetConfig(destination=(lake, "stats/{run-id}/{output-name}"))
    train = PythonScriptStep(  # built first: its input takes the name when it is known
        "train.py", name="train model", source_directory=src, arguments=[prepared.as_input()]
    )
    PythonScriptStep(
        "prep.py", name="prepare data", source_directory=src, arguments=[prepared, stats]
    )
    assert (prepared.name, stats.name) == ("prepare_data_output", "prepare_data_output_2")
    tasks = _tasks(Pipeline(ws, [train]))
    assert [o.name for o in tasks["prepare_data"].definition.outputs] == [
        "prepare_data_output",
        "prepare_data_output_2",
    ]
    assert tasks["prepare_data"].definition.outputs[1].destination == (
        "stats/{run-id}/prepare_data_output_2"
    )
    (read,) = tasks["train_model"].definition.inputs
    assert (read.name, read.producer) == ("prepare_data_output", "prepare_data")
    # Built again (a DAG file parsed again), the names are the same.
    again = OutputFileDatasetConfig()
    PythonScriptStep("prep.py", name="prepare data", source_directory=src, arguments=[again])
    assert again.name == "prepare_data_output"


def test_an_unnamed_output_no_step_writes_is_reported(ws: Workspace, src: str) -> None:
    orphan = OutputFileDatasetConfig()
    step = PythonScriptStep(
        "train.py", name="train", source_directory=src, arguments=[orphan.as_input()]
    )
    with pytest.raises(PipelineValidationError) as info:
        Pipeline(ws, [step]).validate()
    assert info.value.problems[0].step == "train"
