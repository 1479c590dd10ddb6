"""DataPath parameters: a data location chosen per run, bound into a step with
DataPathComputeBinding; reuse sees the new data."""

from __future__ import annotations

import json
import uuid

import pytest

from mlpipelines import (
    Datastore,
    Pipeline,
    PipelineData,
    PipelineParameter,
    PythonScriptStep,
    Workspace,
)
from mlpipelines.azureml.data.datapath import DataPath, DataPathComputeBinding
from mlpipelines.errors import StepRunError
from mlpipelines.model.planning import plan_pipeline
from mlpipelines.publishing.run_request import RunRequestError, parse_run_request
from mlpipelines.runtime.python_script import run_python_script_step
from mlpipelines.runtime.step_context import StepContext

SCRIPT = """import json, os, sys
folder = sys.argv[1]
rows = sum(len(open(os.path.join(folder, f)).read().splitlines()) for f in os.listdir(folder))
json.dump({"rows": rows, "folder": folder}, open(os.path.join(sys.argv[2], "seen.json"), "w"))
"""


@pytest.fixture
def plan(tmp_path):
    ws = Workspace.current()
    lake = Datastore.register_local_folder(ws, "dp_lake", str(tmp_path / "lake"))
    for year, rows in (("2024", 2), ("2025", 5)):
        (tmp_path / "lake" / "sales" / year).mkdir(parents=True)
        (tmp_path / "lake" / "sales" / year / "a.csv").write_text("x\n" * rows)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "count.py").write_text(SCRIPT)
    sales = PipelineParameter("sales_data", DataPath(lake, "sales/2024"))
    bound = (sales, DataPathComputeBinding(mode="download"))
    out = PipelineData("out", datastore=ws.get_default_datastore())
    step = PythonScriptStep(
        name="count",
        script_name="count.py",
        source_directory=str(tmp_path / "src"),
        arguments=[bound, out],
        inputs=[bound],
        outputs=[out],
    )
    return plan_pipeline(Pipeline(ws, [step]))


def _run(plan, params):
    ctx = StepContext(
        "dp", f"r{uuid.uuid4().hex[:6]}", "count", params=params, pull_output=lambda *_: None
    )
    result = run_python_script_step(plan.tasks[0].definition, ctx)
    folder = Workspace.current().get_default_datastore().root / result.outputs["out"].path
    return result, json.loads((folder / "seen.json").read_text())


def test_the_default_place_then_another_one_chosen_by_the_run(plan):
    (param,) = [p for p in plan.params if p.name == "sales_data"]
    assert (param.type, param.default) == ("object", {"datastore": "dp_lake", "path": "sales/2024"})
    _, seen = _run(plan, {"sales_data": param.default})
    assert seen["rows"] == 2
    again, _ = _run(plan, {"sales_data": param.default})
    assert again.reused is not None
    other, seen = _run(plan, {"sales_data": {"datastore": "dp_lake", "path": "sales/2025"}})
    assert other.reused is None and seen["rows"] == 5


def test_a_place_leaving_the_datastore_fails_before_the_script(plan):
    with pytest.raises(StepRunError, match="leaves the datastore"):
        _run(plan, {"sales_data": {"datastore": "dp_lake", "path": "../etc"}})


def test_rest_data_path_assignments_become_conf(plan):
    params = [{"name": p.name, "default": p.default, "type": p.type} for p in plan.params]
    request = parse_run_request(
        {
            "DataPathAssignments": {
                "sales_data": {"DataStoreName": "dp_lake", "RelativePath": "sales/2025"}
            }
        },
        params,
    )
    assert request.conf["sales_data"] == {"datastore": "dp_lake", "path": "sales/2025"}
    for bad, says in (
        ({"nope": {"DataStoreName": "x", "RelativePath": "y"}}, "not a DataPath parameter"),
        ({"sales_data": {"RelativePath": "y"}}, "needs DataStoreName"),
        ({"sales_data": {"DataStoreName": "x", "RelativePath": "../y"}}, "leaves the datastore"),
    ):
        with pytest.raises(RunRequestError, match=says):
            parse_run_request({"DataPathAssignments": bad}, params)


def test_a_bound_data_path_only_in_arguments_is_an_input_as_in_azure_ml(tmp_path):
    ws = Workspace.current()
    param = PipelineParameter("p", DataPath(ws.get_default_datastore(), "x"))
    step = PythonScriptStep(
        name="s",
        script_name="run.py",
        source_directory=str(tmp_path),
        arguments=[(param, DataPathComputeBinding())],
    )
    (tmp_path / "run.py").write_text("")
    (task,) = Pipeline(ws, [step]).plan().tasks
    (data_input,) = task.definition.inputs
    assert (data_input.kind, data_input.name, data_input.mode) == ("data_path", "p", "mount")
    assert [t.to_json() for t in task.definition.arguments] == [{"input": "p"}]


PRINT_PATH = """import json, os, sys
json.dump({"path": sys.argv[1], "exists": os.path.exists(sys.argv[1])},
          open(os.path.join(sys.argv[2], "seen.json"), "w"))
"""


def _path_printing_plan(tmp_path, mode):
    """The datapath sample's step: its script only prints the path it is given."""
    ws = Workspace.current()
    lake = Datastore.register_local_folder(ws, "dp_empty_lake", str(tmp_path / "lake"))
    (tmp_path / "lake").mkdir()
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "show.py").write_text(PRINT_PATH)
    data_path = PipelineParameter("input_datapath", DataPath(lake, "sample_datapath1"))
    bound = (data_path, DataPathComputeBinding(mode=mode))
    out = PipelineData("out", datastore=ws.get_default_datastore())
    step = PythonScriptStep(
        name="count",
        script_name="show.py",
        source_directory=str(tmp_path / "src"),
        arguments=[bound, out],
        inputs=[bound],
        outputs=[out],
    )
    return plan_pipeline(Pipeline(ws, [step]))


def test_a_mounted_place_that_does_not_exist_is_handed_over_as_azure_ml_does(tmp_path):
    plan = _path_printing_plan(tmp_path, "mount")
    (param,) = [p for p in plan.params if p.name == "input_datapath"]
    _, seen = _run(plan, {"input_datapath": param.default})
    assert seen == {"path": str(tmp_path / "lake" / "sample_datapath1"), "exists": False}
    (tmp_path / "lake" / "sample_datapath1").mkdir()
    (tmp_path / "lake" / "sample_datapath1" / "a.csv").write_text("x\n")
    again, seen = _run(plan, {"input_datapath": param.default})
    assert again.reused is None and seen["exists"] is True  # the data appearing is a change


def test_a_downloaded_place_that_does_not_exist_fails_before_the_script(tmp_path):
    plan = _path_printing_plan(tmp_path, "download")
    (param,) = [p for p in plan.params if p.name == "input_datapath"]
    with pytest.raises(StepRunError, match=r"'input_datapath'.*does not exist"):
        _run(plan, {"input_datapath": param.default})
