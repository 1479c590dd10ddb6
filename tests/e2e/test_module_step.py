"""ModuleStep on the real Airflow, as the ModuleStep sample runs it: a module's versions are
published from a client, two ModuleSteps wired through PipelineData are submitted with
Experiment.submit; then version 3 is published and pinned with ``version="3"``."""

from __future__ import annotations

import pytest

from mlpipelines.azureml.core import Experiment, Workspace
from mlpipelines.azureml.pipeline.core import Pipeline, PipelineData, PipelineParameter
from mlpipelines.azureml.pipeline.core.graph import InputPortDef, OutputPortDef
from mlpipelines.azureml.pipeline.core.module import Module
from mlpipelines.azureml.pipeline.steps import ModuleStep

pytestmark = pytest.mark.e2e

CALCULATE = """import argparse, os, sys
from mlpipelines.azureml.core import Run

parser = argparse.ArgumentParser()
for name in ("--arg_num1", "--arg_num2"):
    parser.add_argument(name, type=int)
for name in ("--file_num1", "--file_num2", "--output_sum", "--output_product"):
    parser.add_argument(name)
args = parser.parse_args()

def number(value, folder):
    return value if value is not None else int(open(os.path.join(folder, "n.txt")).read())

a, b = number(args.arg_num1, args.file_num1), number(args.arg_num2, args.file_num2)
for folder, value in ((args.output_sum, a + b), (args.output_product, a * b * FACTOR)):
    os.makedirs(folder, exist_ok=True)
    open(os.path.join(folder, "n.txt"), "w").write(str(value))
run = Run.get_context()
run.log("sum", a + b)
run.log("product", a * b * FACTOR)
run.log("initial", int(os.environ.get("AML_PARAMETER_initialNum", "-1")))
print("airflow imported:", any(m == "airflow" or m.startswith("airflow.") for m in sys.modules))
"""


def _ports():
    inputs = [InputPortDef(name="in1"), InputPortDef(name="in2", default_datastore_mode="download")]
    outputs = [
        OutputPortDef(name="out_sum", default_datastore_name="workspaceblobstore"),
        OutputPortDef(name="out_prod", default_datastore_name="workspaceblobstore"),
    ]
    return inputs, outputs


def _pipeline(ws, module, entry, end_version=None):
    store = ws.get_default_datastore()
    first_sum = PipelineData("first_sum", datastore=store)
    first_prod = PipelineData("first_prod", datastore=store)
    end_sum = PipelineData("end_sum", datastore=store)
    end_prod = PipelineData("end_prod", datastore=store)
    num = PipelineParameter(name="initialNum", default_value=17)
    _first = ModuleStep(  # joins the pipeline as the producer of first_sum and first_prod
        module_version=entry,
        inputs_map={},
        outputs_map={"out_sum": first_sum, "out_prod": first_prod},
        arguments=[
            "--output_sum",
            first_sum,
            "--output_product",
            first_prod,
            "--arg_num1",
            num,
            "--arg_num2",
            "2",
        ],
        name="first",
    )
    end = ModuleStep(
        module=module,
        version=end_version,
        inputs_map={"in1": first_sum, "in2": first_prod},
        outputs_map={"out_sum": end_sum, "out_prod": end_prod},
        arguments=[
            "--file_num1",
            first_sum,
            "--file_num2",
            first_prod,
            "--output_sum",
            end_sum,
            "--output_product",
            end_prod,
        ],
        name="end",
    )
    return Pipeline(workspace=ws, steps=[end])


def test_module_versions_run_as_steps_and_a_new_version_is_pinned(airflow, tmp_path):
    calc = tmp_path / "calc"
    calc.mkdir()
    (calc / "calculate.py").write_text(CALCULATE.replace("FACTOR", "1"))
    ws = Workspace.from_config(airflow.home / "config.json")
    inputs, outputs = _ports()
    module = Module.create(ws, name="e2e_add_multiply", description="adds and multiplies")
    entry = module.publish_python_script(
        "calculate.py", "initial", inputs=[], outputs=outputs, params={"initialNum": 12},
        version="1", source_directory=str(calc),
    )  # fmt: skip
    module.publish_python_script(
        "calculate.py", "middle", inputs=inputs, outputs=outputs, version="2",
        is_default=True, source_directory=str(calc),
    )  # fmt: skip
    experiment = Experiment(ws, "module_steps")

    run = experiment.submit(_pipeline(ws, module, entry), pipeline_parameters={"initialNum": 5})
    assert run.wait_for_completion(show_output=False, timeout_seconds=300) == "Finished"
    (first,) = run.find_step_run("first")
    (end,) = run.find_step_run("end")
    assert first.get_metrics() == {"sum": 7, "product": 10, "initial": 12}
    assert end.get_metrics() == {"sum": 17, "product": 70, "initial": -1}
    assert "airflow imported: False" in end.get_logs()
    end_sum = airflow.output_path("module_steps", run.id, "end", "end_sum") / "n.txt"
    assert end_sum.read_text() == "17"

    # A new version with other code; the folder's edit does not reach versions 1 and 2.
    (calc / "calculate.py").write_text(CALCULATE.replace("FACTOR", "10"))
    module.publish_python_script(
        "calculate.py", "tenfold", inputs=inputs, outputs=outputs, version="3",
        source_directory=str(calc),
    )  # fmt: skip
    assert [d.version for d in module.module_version_list()] == ["1", "2", "3"]
    again = experiment.submit(
        _pipeline(ws, module, entry, end_version="3"), pipeline_parameters={"initialNum": 5}
    )
    assert again.wait_for_completion(show_output=False, timeout_seconds=300) == "Finished"
    (first,) = again.find_step_run("first")
    (end,) = again.find_step_run("end")
    assert first.reused and not end.reused
    assert end.get_metrics() == {"sum": 17, "product": 700, "initial": -1}
