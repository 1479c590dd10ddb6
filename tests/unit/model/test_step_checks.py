"""The checks of one step: each problem has its kind, its step and its message, all at once
and in a fixed order (inputs, outputs, names, paths, arguments, params, run_after, script)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlpipelines import (
    DatabricksStep,
    DataReference,
    Dataset,
    Datastore,
    DataTransferStep,
    FileDataset,
    Pipeline,
    PipelineData,
    PipelineParameter,
    PipelineValidationError,
    Problem,
    PythonScriptStep,
    Workspace,
)
from mlpipelines.azureml.data.datapath import DataPath, DataPathComputeBinding

CLIMBS = "path_on_datastore '../up' leaves the datastore ('..' is not allowed)"


@pytest.fixture
def ws() -> Workspace:
    return Workspace.current()


@pytest.fixture
def src(tmp_path: Path) -> Path:
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "a.py").write_text("print('hello')\n", encoding="utf-8")
    return folder


@pytest.fixture
def files(ws: Workspace, tmp_path: Path) -> FileDataset:
    """A file dataset on a local-folder datastore (a dataset needs files to match)."""
    (tmp_path / "lake" / "raw").mkdir(parents=True)
    (tmp_path / "lake" / "raw" / "a.csv").write_text("x\n1\n", encoding="utf-8")
    lake = Datastore.register_local_folder(ws, "step_checks_lake", str(tmp_path / "lake"))
    return Dataset.File.from_files((lake, "raw"))


def _problems(pipeline: Pipeline) -> list[Problem]:
    with pytest.raises(PipelineValidationError) as info:
        pipeline.validate()
    assert isinstance(info.value, ValueError)
    return info.value.problems


def test_every_problem_of_one_step_in_check_order(ws: Workspace, src: Path) -> None:
    store = Datastore(ws, "workspaceblobstore")
    loop = PipelineData("loop")
    up_in = DataReference(store, "up_in", "../up")
    up_out = DataReference(store, "up_out", "../up")
    stray = PipelineData("stray")
    step = PythonScriptStep(
        "nowhere.py",
        name="s",
        source_directory=str(src),
        inputs=["raw.csv", loop, up_in],
        outputs=[loop, loop, up_out, "out.csv"],
        arguments=["--x", stray, {"a": 1}],
        params={"my-key": "v", "OK": [1]},
    )
    step.run_after("prep")
    messages = [(p.kind, p.step, p.message) for p in _problems(Pipeline(ws, [step]))]
    assert messages == [
        (
            "bad-input",
            "s",
            "input 'raw.csv' is not a DataReference, PipelineData or named dataset input",
        ),
        ("bad-output", "s", "output 'out.csv' is not a PipelineData or DataReference"),
        ("duplicate-output-name", "s", "2 outputs are named 'loop'"),
        ("path-leaves-datastore", "s", f"output 'up_out': {CLIMBS}"),
        ("self-dependency", "s", "PipelineData 'loop' is both an input and an output"),
        ("path-leaves-datastore", "s", f"input 'up_in': {CLIMBS}"),
        (
            "bad-argument",
            "s",
            "argument {'a': 1} is not a string, number, PipelineParameter or data reference",
        ),
        ("bad-param-name", "s", "params key 'my-key' cannot be an environment variable name"),
        (
            "bad-param-value",
            "s",
            "params value [1] for 'OK' is not a string, number or PipelineParameter",
        ),
        ("bad-run-after", "s", "run_after('prep') needs a step"),
        ("missing-script", "s", f"script 'nowhere.py' is not in source_directory '{src}'"),
        (
            "data-never-produced",
            "s",
            "PipelineData 'stray' is consumed but no step lists it in outputs",
        ),
    ]


def test_unnamed_dataset_input_is_told_to_take_a_name(
    ws: Workspace, src: Path, files: FileDataset
) -> None:
    step = PythonScriptStep("a.py", name="read", source_directory=str(src), inputs=[files])
    (problem,) = _problems(Pipeline(ws, [step]))
    assert (problem.kind, problem.step) == ("bad-input", "read")
    assert problem.message == (
        f"dataset input {files!r} needs a name: pass dataset.as_named_input('name')"
    )


def test_transfer_destination_that_leaves_its_datastore(ws: Workspace) -> None:
    store = Datastore(ws, "workspaceblobstore")
    step = DataTransferStep(
        "copy",
        source_data_reference=DataReference(store, "from_ref", "raw"),
        destination_data_reference=DataReference(store, "to_ref", "../up"),
    )
    (problem,) = _problems(Pipeline(ws, [step]))
    assert problem == Problem("path-leaves-datastore", "copy", f"destination 'to_ref': {CLIMBS}")


def test_declared_data_in_arguments_is_fine(ws: Workspace, src: Path, files: FileDataset) -> None:
    store = Datastore(ws, "workspaceblobstore")
    param = PipelineParameter("sales", DataPath(store, "x"))
    bound = (param, DataPathComputeBinding())
    named = files.as_named_input("raw_files")
    features = PipelineData("features")
    make = PythonScriptStep("a.py", name="make", source_directory=str(src), outputs=[features])
    use = PythonScriptStep(
        "a.py",
        name="use",
        source_directory=str(src),
        inputs=[bound, named, features.as_download("features_in")],
        arguments=[bound, named, features, "--n", 3, 0.5, True, PipelineParameter("n", 3)],
    )
    assert Pipeline(ws, [make, use]).validate() == []


def test_notebook_widget_names_need_not_be_identifiers(ws: Workspace) -> None:
    widgets = {"my widget": "v", "run-date": PipelineParameter("day", "2024-01-01")}
    step = DatabricksStep(
        "nb", existing_cluster_id="c1", notebook_path="/Shared/nb", notebook_params=widgets
    )
    assert Pipeline(ws, [step]).validate() == []


def test_notebook_widget_values_are_still_checked(ws: Workspace) -> None:
    step = DatabricksStep(
        "nb", existing_cluster_id="c1", notebook_path="/Shared/nb", notebook_params={"w": [1, 2]}
    )
    (problem,) = _problems(Pipeline(ws, [step]))
    assert problem == Problem(
        "bad-param-value",
        "nb",
        "params value [1, 2] for 'w' is not a string, number or PipelineParameter",
    )


def test_duplicate_input_names_are_counted(ws: Workspace, src: Path) -> None:
    store = Datastore(ws, "workspaceblobstore")
    refs = [DataReference(store, "raw", path) for path in ("x", "y", "z")]
    step = PythonScriptStep("a.py", name="s", source_directory=str(src), inputs=refs)
    (problem,) = _problems(Pipeline(ws, [step]))
    assert problem == Problem("duplicate-input-name", "s", "3 inputs are named 'raw'")
