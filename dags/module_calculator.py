"""Airflow DAG `module_calculator`: one module's two versions as ModuleSteps, wired through
PipelineData, as Azure ML's ModuleStep sample does.

A module is a versioned step definition kept beside the published pipelines; publishing one
is client work (run `python dags/module_calculator.py` once, as the sample's notebook does).
So that this file also parses on a fresh deployment, it publishes the two versions itself
when it finds no module yet: a copy of one small script to the default datastore, on the
first parse only; later parses read two small JSON files. With a remote default datastore,
publish from the client first so that no parse ever uploads. Try
`mlpipelines trigger module_calculator --param initialNum=5 --wait`.
"""

from mlpipelines.azureml.core import Workspace
from mlpipelines.azureml.pipeline.core import Pipeline, PipelineData, PipelineParameter
from mlpipelines.azureml.pipeline.core.graph import InputPortDef, OutputPortDef
from mlpipelines.azureml.pipeline.core.module import Module
from mlpipelines.azureml.pipeline.steps import ModuleStep
from mlpipelines.errors import UserErrorException

SOURCE = "scripts/calculate"  # beside this file, as a step's source_directory


def publish_module(ws: Workspace) -> Module:
    """Version "1" starts a pipeline (numbers as arguments); version "2", the default,
    reads its numbers from the ports in1 and in2. Publishing again changes nothing."""
    store = ws.get_default_datastore()
    outputs = [
        OutputPortDef(name="out_sum", default_datastore_name=store.name, label="Sum"),
        OutputPortDef(name="out_prod", default_datastore_name=store.name, label="Product"),
    ]
    inputs = [
        InputPortDef(name="in1", default_datastore_mode="mount", label="First number"),
        InputPortDef(name="in2", default_datastore_mode="mount", label="Second number"),
    ]
    module = Module.create(ws, name="AddAndMultiply", description="Adds and multiplies")
    module.publish_python_script(
        "calculate.py", "initial", inputs=[], outputs=outputs, version="1", source_directory=SOURCE
    )
    module.publish_python_script(
        "calculate.py",
        "middle",
        inputs=inputs,
        outputs=outputs,
        version="2",
        is_default=True,
        source_directory=SOURCE,
    )
    return module


if __name__ == "__main__":  # the client flow: publish to the configured workspace, then stop
    for version in publish_module(Workspace.from_config()).module_version_list():
        print("published AddAndMultiply version", version.version)
    raise SystemExit(0)

ws = Workspace.current()
try:
    module = Module.get(ws, name="AddAndMultiply")
except UserErrorException:
    module = publish_module(ws)

store = ws.get_default_datastore()
first_sum = PipelineData("first_sum", datastore=store)
first_prod = PipelineData("first_prod", datastore=store)
end_sum = PipelineData("end_sum", datastore=store)
end_prod = PipelineData("end_prod", datastore=store)
initial = PipelineParameter(name="initialNum", default_value=17)

first = ModuleStep(
    module=module,
    version="1",
    outputs_map={"out_sum": first_sum, "out_prod": first_prod},
    arguments=[
        "--output_sum",
        first_sum,
        "--output_product",
        first_prod,
        "--arg_num1",
        initial,
        "--arg_num2",
        "2",
    ],
)
# No version: the module's default ("2").
end = ModuleStep(
    module=module,
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
)

dag = Pipeline(ws, steps=[end]).to_dag("module_calculator", tags=["example"])
